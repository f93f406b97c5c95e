"""One background thread per open file, doing its heavy steps in order off the writer's thread.

Parsing the Singer stream and encoding records hold the GIL; typing a buffer into Arrow
columns, writing a Parquet row group, compressing (zlib, zstd) and uploading (a socket, a
file) release it. Done inline they take turns on one core; queued to a :class:`Worker`, the
work on one buffer overlaps the encoding of the next, on the second core. The queue holds at
most ``depth`` jobs, so memory stays bounded by a few buffers.

Jobs run in the order submitted. An error in a job is raised in the submitting thread at
its next :meth:`Worker.submit` or at :meth:`Worker.close`; later jobs are skipped.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Final

__all__ = ["Worker"]

Job = Callable[[], None]
_STOP: Final[Job] = lambda: None  # noqa: E731


class Worker:
    """Runs jobs on a thread of its own; see the module docstring."""

    def __init__(self, name: str, depth: int = 2) -> None:
        self._queue: queue.Queue[Job] = queue.Queue(depth)
        self._error: BaseException | None = None
        self._cancelled = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def submit(self, job: Job) -> None:
        """Queue ``job`` (blocks while ``depth`` jobs wait); raise an earlier job's error."""
        self.check()
        self._queue.put(job)

    def check(self) -> None:
        """Raise the error of a failed job, once; the jobs after it are skipped."""
        if self._error is not None:
            error, self._error = self._error, None
            self._cancelled = True
            raise error

    def close(self) -> None:
        """Wait until every queued job ran; raise the first error."""
        self._stop()
        self.check()

    def cancel(self) -> None:
        """Drop what is queued, let a running job end, and stop the thread."""
        self._cancelled = True
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._stop()

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _run(self) -> None:
        while (job := self._queue.get()) is not _STOP:
            if self._cancelled or self._error is not None:
                continue
            try:
                job()
            except BaseException as exc:  # raised in the submitting thread by check()
                self._error = exc
