"""State in the project directory: one JSON file per state id, one lock file beside it.

``<project>/.elt/state/<id>.json`` holds the plain Singer state value, the same document a
tap takes with ``--state``, so a bookmark can be inspected or used by hand
(``tap-x --state .elt/state/dev%3Atap-x-to-target-y.json``). It is replaced atomically
(:func:`elt.files.atomic_write`: temp file, fsync, rename, directory fsync), so a kill at
any moment leaves the previous bookmark or the new one.

The lock is ``flock`` on ``<id>.lock``: the kernel releases it when its holder exits, even
by SIGKILL, so there is no stale lock to clean up after a crash. The holder writes who it
is into the file for the error message of the next comer. ``flock`` is advisory and local
to one machine (on NFS it may not exclude a run on another host); runs spread over hosts
need a remote backend with its own lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from elt.errors import ProjectError, ServiceError, UsageError
from elt.files import atomic_write, fsync_directory
from elt.state.ids import state_id_filename, state_id_from_filename

__all__ = ["STATE_DIR", "LocalStateStore"]

STATE_DIR = Path(".elt") / "state"
_STATE_SUFFIX = ".json"
_LOCK_SUFFIX = ".lock"
_FILE_MODE = 0o600


class LocalStateStore:
    """Bookmarks as files in one directory (created on first write)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def in_project(cls, root: Path) -> LocalStateStore:
        """The store of the project rooted at ``root``: ``<root>/.elt/state``."""
        return cls(root / STATE_DIR)

    def path(self, state_id: str) -> Path:
        """The file that holds the state of ``state_id``."""
        return self.directory / (state_id_filename(state_id) + _STATE_SUFFIX)

    def get(self, state_id: str) -> dict[str, Any] | None:
        path = self.path(state_id)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            state = json.loads(text)
        except ValueError as error:
            raise ProjectError(
                f"the stored state of {state_id!r} is not valid JSON ({error})",
                where=str(path),
                hint=f"Fix the file, or forget it with `elt state clear '{state_id}'`",
            ) from None
        if not isinstance(state, dict):
            raise ProjectError(
                f"the stored state of {state_id!r} is not a JSON object",
                where=str(path),
                hint=f"Fix the file, or forget it with `elt state clear '{state_id}'`",
            )
        return state

    def set(self, state_id: str, state: Mapping[str, Any]) -> None:
        path = self.path(state_id)
        text = json.dumps(state, ensure_ascii=False, allow_nan=False) + "\n"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            atomic_write(path, text, mode=_FILE_MODE)
        except OSError as error:
            raise ServiceError(
                f"could not store the state of {state_id!r}: {error.strerror or error}",
                where=str(path),
                hint="The previous bookmark is intact; free space or fix permissions and rerun",
            ) from None

    def clear(self, state_id: str) -> bool:
        path = self.path(state_id)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        fsync_directory(path.parent)
        return True

    def list(self, pattern: str = "*") -> tuple[str, ...]:
        if not self.directory.is_dir():
            return ()
        ids = (
            state_id_from_filename(path.name[: -len(_STATE_SUFFIX)])
            for path in self.directory.iterdir()
            if path.name.endswith(_STATE_SUFFIX) and not path.name.startswith(".")
        )
        return tuple(sorted(i for i in ids if fnmatchcase(i, pattern)))

    @contextlib.contextmanager
    def lock(self, state_id: str, *, holder: str) -> Iterator[None]:
        path = self.directory / (state_id_filename(state_id) + _LOCK_SUFFIX)
        self.directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, _FILE_MODE)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise _locked(state_id, os.pread(descriptor, 4096, 0)) from None
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, holder.encode("utf-8"), 0)
            try:
                yield
            finally:
                os.ftruncate(descriptor, 0)
        finally:
            os.close(descriptor)  # releases the flock


def _locked(state_id: str, holder: bytes) -> UsageError:
    who = holder.decode("utf-8", errors="replace").strip() or "another run"
    return UsageError(
        f"state {state_id!r} is in use by {who}",
        hint="Two runs of one pipeline would interleave their bookmarks; wait for that one "
        "to finish, or give this run its own --state-id",
    )
