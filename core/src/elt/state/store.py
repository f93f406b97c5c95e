"""The state store seam: where a pipeline's bookmark lives between runs.

A run needs four things of a store: read the last committed state, replace it atomically
(a reader sees the old state or the new one, never a mix), forget it, and hold a lock on
one state id for as long as the run lasts, so two runs of one pipeline cannot interleave
their bookmarks. :class:`StateStore` is that contract; :class:`~elt.state.local.LocalStateStore`
keeps state in the project directory. Remote backends (S3, GCS, Azure, Postgres) implement
the same protocol, and :func:`open_state_store` is where the project chooses one.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from elt.state.local import LocalStateStore

__all__ = ["StateStore", "open_state_store"]


class StateStore(Protocol):
    """Where bookmarks are kept, by state id."""

    def get(self, state_id: str) -> dict[str, Any] | None:
        """The stored state, or None when there is none."""
        ...

    def set(self, state_id: str, state: Mapping[str, Any]) -> None:
        """Replace the stored state atomically and durably before returning."""
        ...

    def clear(self, state_id: str) -> bool:
        """Forget the state; False when there was none."""
        ...

    def list(self, pattern: str = "*") -> tuple[str, ...]:
        """The ids with a stored state that match the glob ``pattern``, sorted."""
        ...

    def lock(self, state_id: str, *, holder: str) -> AbstractContextManager[None]:
        """Hold the id exclusively; a UsageError naming the current holder if it is taken.

        ``holder`` says who holds it (``run 20250101T120000Z-1a2b3c (pid 42)``), for the
        error message of whoever tries next. The lock must not outlive a crashed holder.
        """
        ...


def open_state_store(root: Path) -> StateStore:
    """The state store of the project in ``root``: its ``.elt/state`` directory."""
    return LocalStateStore.in_project(root)
