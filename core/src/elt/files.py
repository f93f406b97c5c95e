"""Writing files so that a crash never leaves one half-written.

plugins.yml and .env are edited in place by ``elt add`` and ``elt config set``, and a run
rewrites its state bookmark after every commit of the target; a kill or a full disk in the
middle of a plain ``write`` would leave a truncated file and lose the project or the
bookmark. So the new content goes to a temporary file in the same directory, is fsynced,
and replaces the old file with one atomic rename; the directory is fsynced so the rename
itself survives a power loss. A leaf module: it imports nothing of elt.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "fsync_directory"]


def atomic_write(path: Path, text: str, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``text`` atomically.

    The file keeps its permissions; a new one gets ``mode`` (default 0o644). Raises OSError.
    """
    if mode is None:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = 0o644
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    """Make a rename or unlink in ``directory`` survive a power loss."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
