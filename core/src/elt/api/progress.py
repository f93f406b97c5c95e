"""Progress of a run for Python callers: a callback handed a :class:`RunProgress` snapshot.

The CLI shows progress with a live table; a caller of the API (a notebook, an orchestrator's
task) passes ``progress=callback`` instead. The callback is called from a thread of its own
every ``interval`` seconds while the run lasts, with what the plugins' METRIC lines said so
far (:class:`~elt.run.metrics.RunMetrics`), and once more when the run has ended
(``done``). A callback that raises is logged and not called again for that run: a display
must never fail a load.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from elt.run.metrics import RunMetrics, StreamProgress

__all__ = ["ProgressCallback", "ProgressReporter", "RunProgress"]

_log = logging.getLogger("elt.api")


@dataclass(frozen=True)
class RunProgress:
    """Where a run is: rows and time per stream, seconds since it started, and whether it
    has ended. ``attempt`` counts elt's own retries (1 first)."""

    tap: str
    target: str
    streams: tuple[StreamProgress, ...]
    elapsed: float
    attempt: int = 1
    done: bool = False

    @property
    def rows(self) -> int:
        """Rows of every stream so far."""
        return sum(stream.rows for stream in self.streams)


ProgressCallback = Callable[[RunProgress], None]


class ProgressReporter:
    """A :class:`~elt.run.metrics.Watcher` that calls a callback; a context manager around
    the run (its end makes the last call)."""

    def __init__(
        self, callback: ProgressCallback, tap: str, target: str, *, interval: float = 1.0
    ) -> None:
        self._callback: ProgressCallback | None = callback
        self._tap = tap
        self._target = target
        self._interval = interval
        self._metrics: RunMetrics | None = None
        self._attempt = 0
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="elt-progress", daemon=True)

    @property
    def metric_interval(self) -> float | None:
        """Ask plugins to count as often as the callback is called (at least every second)."""
        return min(self._interval, 1.0) if self._interval > 0 else None

    def watch(self, metrics: RunMetrics) -> None:
        """Report ``metrics`` from now on (a new attempt)."""
        self._metrics = metrics
        self._attempt += 1

    def __enter__(self) -> ProgressReporter:
        if self._interval > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._report(done=True)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self._report(done=False)

    def _report(self, *, done: bool) -> None:
        callback, metrics = self._callback, self._metrics
        if callback is None or metrics is None:
            return
        streams = metrics.progress(self._tap, self._target, ended=done)
        snapshot = RunProgress(
            self._tap,
            self._target,
            tuple(streams),
            time.monotonic() - self._started,
            max(self._attempt, 1),
            done,
        )
        try:
            callback(snapshot)
        except Exception:
            _log.warning("the progress callback failed; it is not called again", exc_info=True)
            self._callback = None
