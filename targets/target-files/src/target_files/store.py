"""The local-folder object store: the lake writer's commit protocol on a file system.

An object is written to a temporary file next to its final name — ``.<name>.<random>.tmp``,
hidden, so Spark, Hive, DuckDB globs and this store's :meth:`LocalStore.list` ignore it —
then fsynced, renamed over the final name in one atomic ``rename``, and the directory
fsynced so the rename survives a power loss. A reader therefore sees a file complete or
not at all; :meth:`LocalUpload.abort` (or a crash) leaves at most a hidden temporary file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path
from typing import IO

from elt.errors import AccessError, ConfigError, EltError, ServiceError
from elt.sdk.durable import fsync_directory

__all__ = ["LocalStore", "LocalUpload"]


class LocalUpload:
    """One file being written under a hidden temporary name."""

    def __init__(self, path: Path, describe: str) -> None:
        self._path = path
        self._describe = describe
        self._temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        self._file: IO[bytes] | None = None
        self._size = 0
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self._temp.open("xb")
        except OSError as exc:
            raise _error("create", describe, exc) from None

    def write(self, data: bytes) -> None:
        if self._file is None:
            raise ServiceError(f"{self._describe} is no longer open for writing")
        try:
            self._file.write(data)
        except OSError as exc:
            self.abort()
            raise _error("write", self._describe, exc) from None
        self._size += len(data)

    def commit(self) -> int:
        file, self._file = self._file, None
        if file is None:
            raise ServiceError(f"{self._describe} is no longer open for writing")
        try:
            with file:
                file.flush()
                os.fsync(file.fileno())
            os.replace(self._temp, self._path)
            fsync_directory(self._path.parent)
        except OSError as exc:
            self.abort()
            raise _error("commit", self._describe, exc) from None
        return self._size

    def abort(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):
                file.close()
        with contextlib.suppress(FileNotFoundError):
            self._temp.unlink()


class LocalStore:
    """A folder; keys are ``/``-separated paths below it."""

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().absolute()

    def describe(self, key: str) -> str:
        return (self.root / key).as_uri() if key else self.root.as_uri()

    def check(self) -> None:
        """Create the folder if needed; fail now if it cannot be written."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".elt-probe-{secrets.token_hex(4)}.tmp"
            probe.touch()
            probe.unlink()
        except OSError as exc:
            raise _error("write to", self.describe(""), exc) from None

    def open(self, key: str) -> LocalUpload:
        return LocalUpload(self._path(key), self.describe(key))

    def put(self, key: str, data: bytes) -> None:
        upload = self.open(key)
        upload.write(data)
        upload.commit()

    def read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except OSError as exc:
            raise _error("read", self.describe(key), exc) from None

    def list(self, prefix: str = "") -> list[str]:
        start = self._path(prefix) if prefix else self.root
        if not start.is_dir():
            return []
        keys = []
        for directory, folders, files in os.walk(start):
            folders[:] = [f for f in folders if not f.startswith(".")]
            base = Path(directory).relative_to(self.root)
            keys.extend((base / name).as_posix() for name in files if not name.startswith("."))
        return sorted(keys)

    def _path(self, key: str) -> Path:
        """The file of ``key``, which must stay inside the folder (the writer guarantees
        it; this is the last line of defence)."""
        path = self.root / key
        if ".." in Path(key).parts or Path(key).is_absolute() or "\0" in key:
            raise ServiceError(f"refusing key {key!r}: it would leave {self.describe('')}")
        return path


# What retrying cannot fix: the folder refuses us, or `path` names something that is no folder.
_REFUSED = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
_MISCONFIGURED = frozenset({errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG, errno.ELOOP})


def _error(action: str, where: str, exc: OSError) -> EltError:
    """The error for a failed file operation, sorted as :mod:`elt.errors` sorts a store's:
    permission denied or a read-only file system is an AccessError (78), a `path` through a
    file a ConfigError (78), anything else — a full disk, an I/O error — a ServiceError (75),
    which a retry may get past once space is freed."""
    message = f"could not {action} {where}: {exc.strerror or exc}"
    if exc.errno in _REFUSED:
        return AccessError(message, hint="give the target's user write access to the folder")
    if exc.errno in _MISCONFIGURED:
        return ConfigError(message, hint="set `path` to a folder (or where one may be created)")
    return ServiceError(message, hint="check that the disk has space and the folder is healthy")
