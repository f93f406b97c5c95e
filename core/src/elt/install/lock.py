"""One install of a venv at a time, across threads and processes.

An ``flock`` on a lock file beside the venv: two ``elt install -j`` workers, or an
``elt install`` and an ``elt run`` installing a missing plugin in another terminal, build one
venv one after the other; the second then finds it up to date. The kernel drops the lock when
its holder dies, so a killed install never leaves the venv locked. The lock file keeps the
holder's pid, for the message of whoever waits.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["install_lock"]

log = logging.getLogger(__name__)


@contextmanager
def install_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 64, 0).decode(errors="replace").strip()
            log.info("waiting for the install lock %s (held by pid %s)", path, holder or "?")
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(descriptor)
