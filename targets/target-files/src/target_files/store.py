"""The local-folder object store: the lake writer's commit protocol on a file system.

An object is written to a temporary file next to its final name — ``.<name>.<random>.tmp``,
hidden, so Spark, Hive, DuckDB globs and this store's :meth:`LocalStore.list` ignore it —
then fsynced, renamed over the final name in one atomic ``rename``, and the directory
fsynced so the rename survives a power loss. A reader therefore sees a file complete or
not at all; :meth:`LocalUpload.abort` (or a crash) leaves at most a hidden temporary file.

**Nothing lands outside the folder.** Keys are checked (no ``..``, no absolute path), and
the folders below the root are walked one at a time through directory file descriptors,
each opened with ``O_NOFOLLOW``: a symbolic link already inside the lake (a stream folder,
a partition, ``_manifests`` pointing elsewhere) is refused, exit 78, instead of being
followed — checked on the very descriptors the file is then created and renamed in, so a
link swapped in after a check cannot redirect a write either. A link at a file's own name
is replaced by the rename, never written through. The root itself (``path``) may be a
link: that is the user's choice of folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from elt.errors import AccessError, ConfigError, EltError, ServiceError

__all__ = ["LocalStore", "LocalUpload"]

_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class LocalUpload:
    """One file being written under a hidden temporary name, in a folder held open."""

    def __init__(self, store: LocalStore, key: str) -> None:
        self._describe = store.describe(key)
        *folders, self._name = PurePosixPath(key).parts
        self._temp = f".{self._name}.{secrets.token_hex(4)}.tmp"
        self._size = 0
        self._dir: int | None = store.open_folder(folders, create=True)
        self._file: int | None = None
        try:
            self._file = os.open(self._temp, _NEW_FILE, 0o666, dir_fd=self._dir)
        except OSError as exc:
            self.abort()
            raise _error("create", self._describe, exc) from None

    def write(self, data: bytes) -> None:
        if self._file is None:
            raise ServiceError(f"{self._describe} is no longer open for writing")
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._file, view) :]
        except OSError as exc:
            self.abort()
            raise _error("write", self._describe, exc) from None
        self._size += len(data)

    def commit(self) -> int:
        if self._file is None or self._dir is None:
            raise ServiceError(f"{self._describe} is no longer open for writing")
        try:
            os.fsync(self._file)
            os.close(self._file)
            self._file = None
            os.replace(self._temp, self._name, src_dir_fd=self._dir, dst_dir_fd=self._dir)
            os.fsync(self._dir)
        except OSError as exc:
            self.abort()
            raise _error("commit", self._describe, exc) from None
        os.close(self._dir)
        self._dir = None
        return self._size

    def abort(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):
                os.close(file)
        folder, self._dir = self._dir, None
        if folder is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._temp, dir_fd=folder)
            with contextlib.suppress(OSError):
                os.close(folder)


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
        return LocalUpload(self, self._checked(key))

    def put(self, key: str, data: bytes) -> None:
        upload = self.open(key)
        upload.write(data)
        upload.commit()

    def read(self, key: str) -> bytes:
        *folders, name = PurePosixPath(self._checked(key)).parts
        folder = self.open_folder(folders, create=False)
        try:
            file = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=folder)
            with os.fdopen(file, "rb") as handle:
                return handle.read()
        except OSError as exc:
            raise _error("read", self.describe(key), exc) from None
        finally:
            os.close(folder)

    def list(self, prefix: str = "") -> list[str]:
        """Committed files under ``prefix``: hidden names and symbolic links are skipped."""
        start = self.root / prefix if prefix else self.root
        if not start.is_dir():
            return []
        keys: list[str] = []
        for directory, folders, files in os.walk(start):
            folders[:] = [f for f in folders if not f.startswith(".")]
            base = Path(directory)
            keys.extend(
                (base / name).relative_to(self.root).as_posix()
                for name in files
                if not name.startswith(".") and not (base / name).is_symlink()
            )
        return sorted(keys)

    def open_folder(self, folders: Sequence[str], *, create: bool) -> int:
        """A descriptor of the folder ``root/folders…``, each level opened without following
        a symbolic link (and made first when ``create``); the caller closes it."""
        path = self.root
        try:
            fd = os.open(self.root, _DIRECTORY)
        except OSError as exc:
            raise _error("open", self.describe(""), exc) from None
        try:
            for name in folders:
                path = path / name
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(name, 0o777, dir_fd=fd)
                child = os.open(name, _DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = child
        except OSError as exc:
            os.close(fd)
            if _is_link(path):
                raise self._link_error(path) from None
            raise _error("open", path.as_uri(), exc) from None
        return fd

    def _link_error(self, link: Path) -> ConfigError:
        return ConfigError(
            f"refusing to follow the symbolic link {link} below the lake folder {self.root}: "
            "files written through it would land outside the folder",
            hint="remove the link (the target creates its folders itself), or set `path` "
            "to the folder the link points at",
        )

    def _checked(self, key: str) -> str:
        """``key``, which must stay inside the folder (the writer guarantees it; this is the
        last line of defence)."""
        parts = PurePosixPath(key).parts
        if not parts or ".." in parts or PurePosixPath(key).is_absolute() or "\0" in key:
            raise ConfigError(f"refusing key {key!r}: it would leave {self.describe('')}")
        return key


def _is_link(path: Path) -> bool:
    with contextlib.suppress(OSError):
        return stat.S_ISLNK(os.lstat(path).st_mode)
    return False


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
