"""State in the project directory: one JSON file per state id, one lock file beside it.

``<project>/.elt/state/<id>.json`` holds the plain Singer state value, the same document a
tap takes with ``--state``, so a bookmark can be inspected or used by hand
(``tap-x --state .elt/state/dev%3Atap-x-to-target-y.json``). It is replaced atomically
(:func:`elt.files.atomic_write`: temp file, fsync, rename, directory fsync), so a kill at
any moment leaves the previous bookmark or the new one.

The lock is ``flock`` on ``<id>.lock``: the kernel releases it when its holder exits, even
by SIGKILL, so there is no stale lock to clean up after a crash. The holder writes who it
is (a :class:`~elt.state.lease.LockRecord`: run, host, since when) into the file for the
error message of the next comer. ``--force`` cannot take a flock from a live process; the
forced run goes on beside it, with a warning. ``flock`` is advisory and local
to one machine (on NFS it may not exclude a run on another host); runs spread over hosts
need a remote backend with its own lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from elt.errors import ServiceError
from elt.files import atomic_write, fsync_directory
from elt.state.document import decode_stored
from elt.state.ids import state_id_filename, state_id_from_filename
from elt.state.lease import LockRecord, locked_error, taking_over

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
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        return decode_stored(data, state_id=state_id, where=str(path))

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

    def close(self) -> None:
        """Nothing to release: files are opened per call."""

    @contextlib.contextmanager
    def lock(self, state_id: str, *, holder: str, force: bool = False) -> Iterator[None]:
        path = self.directory / (state_id_filename(state_id) + _LOCK_SUFFIX)
        self.directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, _FILE_MODE)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                taken = True
            except BlockingIOError:
                taken = False
            if not taken:
                existing = _holder(os.pread(descriptor, 4096, 0))
                if not force:
                    raise locked_error(state_id, existing)
                # the kernel will not hand over another process's flock: run beside it
                taking_over(state_id, existing, force=True, where=str(path))
                yield
                return
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, LockRecord.new(holder, None).encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(descriptor, 0)
        finally:
            os.close(descriptor)  # releases the flock


def _holder(data: bytes) -> LockRecord | None:
    """The record the holder wrote; a bare text (an older elt) becomes the holder's name."""
    record = LockRecord.decode(data)
    text = data.decode("utf-8", errors="replace").strip()
    if record is None and text:
        return LockRecord(text, "?", "", datetime.now(UTC))
    return record
