"""``tail -f`` for a run's log: what it holds, then what is appended until the run ends."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["follow_log"]

_CHUNK = 64 * 1024


def follow_log(
    path: Path,
    running: Callable[[], bool],
    *,
    poll: float = 0.25,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[str]:
    """Yield the text of ``path`` as it grows, until ``running()`` is false and all is read.

    Whether the run still goes is asked only when the file has nothing new, and the file is
    read once more after the answer is no, so the last lines the run wrote are never missed.
    A log that does not exist yet (the run is preparing its plugins) is waited for.
    """
    while not path.exists():
        if not running():
            return
        sleep(poll)
    with path.open("r", encoding="utf-8", errors="replace", newline="") as log:
        pending = ""
        while True:
            chunk = log.read(_CHUNK)
            if chunk:
                # hand out whole lines only; a line being written is finished on the next read
                pending += chunk
                complete, newline, pending = pending.rpartition("\n")
                if newline:
                    yield complete + newline
                continue
            if not running():
                rest = pending + log.read()
                if rest:
                    yield rest
                return
            sleep(poll)
