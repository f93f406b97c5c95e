"""The private folders of runs: where config files with secrets live while plugins run.

A run (and ``elt invoke``, and a discovery) writes its plugins' config files, passwords and
tokens included, into a folder of mode 0700 in the system's temporary directory, removed
when it ends. An elt killed by SIGKILL cannot remove its own, so every one of these commands
first removes the folders of elts that are gone: a folder's name says which process made it
(``elt-run-<host>-<pid>-<start>-<random>``: a hash of the host name, the pid and, on Linux,
the process's start time, which tells it from a later process given the same pid). Only
folders of this host and this user whose process no longer runs are removed; a live run's
folder is never touched, nor anything named otherwise.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from elt.run.pids import is_running, start_time

__all__ = ["private_directory", "remove_stale_directories"]

logger = logging.getLogger(__name__)

_KINDS = ("run", "invoke", "discover", "unit")
_NAME = re.compile(
    r"elt-(?:run|invoke|discover|unit)-(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-(?P<start>\d+)-"
)


@contextlib.contextmanager
def private_directory(kind: str) -> Iterator[Path]:
    """A new folder of mode 0700 for ``kind`` (run, invoke, discover, unit), removed after the
    block; the folders dead elts left behind are removed first."""
    assert kind in _KINDS, kind
    remove_stale_directories()
    prefix = f"elt-{kind}-{_host_tag()}-{os.getpid()}-{start_time(os.getpid()) or 0}-"
    with tempfile.TemporaryDirectory(prefix=prefix) as path:
        yield Path(path)


def remove_stale_directories(parent: Path | None = None) -> list[Path]:
    """Remove the private folders in ``parent`` (the temporary directory) whose elt is gone;
    the ones removed."""
    parent = parent or Path(tempfile.gettempdir())
    host, uid = _host_tag(), os.getuid()
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return []
    for entry in entries:
        found = _NAME.match(entry.name)
        if found is None or found["host"] != host:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid:
            continue
        started = int(found["start"]) or None
        if is_running(int(found["pid"]), started):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        logger.debug("removed %s, left by elt pid %s, which is gone", entry.path, found["pid"])
        removed.append(Path(entry.path))
    return removed


def _host_tag() -> str:
    """Eight hex digits naming this host (a shared temporary directory is not ours alone)."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
