"""``Project.state``: the bookmarks of a project's pipelines, from Python.

Each call opens the project's state backend, does one thing and closes it, so a
``Project`` holds no connection between calls. A change (set, clear, copy, import) takes
the state id's lock as a run does: it fails rather than race with a run of the same id,
unless ``force``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import Any

from elt.project import Project as LoadedProject
from elt.run.runner import project_state_store
from elt.state import (
    StateStore,
    check_state,
    check_state_id,
    copy_state,
    export_states,
    import_states,
)

__all__ = ["States"]


class States:
    """The state bookmarks of one project (``Project.state``).

    >>> project.state.get("dev:tap-csv-to-target-postgres")       # doctest: +SKIP
    {'bookmarks': {'orders': {'replication_key_value': '2024-05-01'}}}
    >>> project.state.clear("dev:tap-csv-to-target-postgres")     # doctest: +SKIP
    True
    """

    def __init__(self, project: LoadedProject, *, holder: str = "the Python API") -> None:
        self._project = project
        self._holder = holder

    def list(self, pattern: str = "*") -> list[str]:
        """The state ids with a stored bookmark that match the glob ``pattern``."""
        with self._store() as store:
            return list(store.list(pattern))

    def get(self, state_id: str) -> dict[str, Any] | None:
        """The stored state of ``state_id``; None when it has none."""
        with self._store() as store:
            return store.get(state_id)

    def set(self, state_id: str, value: Mapping[str, Any], *, force: bool = False) -> None:
        """Replace the state of ``state_id`` with ``value`` (a Singer state; checked)."""
        document = check_state(dict(value))
        with self._store() as store, store.lock(state_id, holder=self._who(), force=force):
            store.set(state_id, document)

    def clear(self, state_id: str, *, force: bool = False) -> bool:
        """Forget the state of ``state_id`` (its next run extracts everything); False when
        there was none."""
        with self._store() as store, store.lock(state_id, holder=self._who(), force=force):
            return store.clear(state_id)

    def copy(self, source: str, destination: str, *, force: bool = False) -> dict[str, Any]:
        """Store the state of ``source`` under ``destination`` too; the state copied."""
        with self._store() as store:
            return copy_state(store, source, destination, holder=self._who(), force=force)

    def export(self, pattern: str = "*") -> dict[str, dict[str, Any]]:
        """Every stored state whose id matches ``pattern``, by id."""
        with self._store() as store:
            return export_states(store, pattern)

    def import_(
        self, states: Mapping[str, Mapping[str, Any]], *, force: bool = False
    ) -> tuple[str, ...]:
        """Store every state of ``states`` (id -> state), all or none: every id is checked
        and locked before the first write. The ids written."""
        checked = {
            check_state_id(state_id): check_state(dict(state), what=f"the state of {state_id!r}")
            for state_id, state in states.items()
        }
        with self._store() as store:
            return import_states(store, checked, holder=self._who(), force=force)

    def _who(self) -> str:
        return f"{self._holder} (pid {os.getpid()})"

    @contextlib.contextmanager
    def _store(self) -> Iterator[StateStore]:
        with contextlib.closing(project_state_store(self._project)) as store:
            yield store
