"""Rows, bytes and progress of a run, from the METRIC lines plugins log on stderr.

A run's rows per stream are what the target *committed* when it says so (``record_count``
counters tagged ``committed``, as elt's own targets log them after each commit): a failed
run then reports only rows that are really loaded. When the target does not say, they are
what was *extracted*: the tap's ``record_count`` counters, else the target's (a plain
singer-python tap logs none) — and :meth:`RunMetrics.rows_kind` labels them so. Bytes are
counters named ``byte_count`` or ``bytes``, when a plugin logs any. See
:mod:`elt.protocol.metrics` for the lines themselves.

Progress (:meth:`RunMetrics.progress`) times each stream by when its lines arrive: from
the first to the last, or the plugin's own ``sync_duration`` timer when that is longer (a
plugin that logs counters every 60 s reports a stream's first rows a minute after it
started). A stream is done once its ``sync_duration`` timer arrives. elt's own taps log a
zero count when a stream starts, so it shows at once, and log counters every
``ELT_METRIC_INTERVAL`` seconds.

The stderr pump hands every line here (:class:`elt.run.logs.StderrPump`); a line without
``METRIC:`` costs one substring search, so a chatty plugin is not slowed down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from elt.protocol import parse_metric

__all__ = ["COMMITTED", "EXTRACTED", "RunMetrics", "StreamProgress", "Watcher"]

#: how a run's rows were counted (:meth:`RunMetrics.rows_kind`)
COMMITTED = "committed"
EXTRACTED = "extracted"

_BYTES = frozenset({"byte_count", "bytes"})
_UNNAMED = "(unnamed)"
_MEASURABLE_SECONDS = 0.1


@dataclass(frozen=True)
class StreamProgress:
    """How far one stream has got: rows so far, seconds it has run, whether it has ended."""

    stream: str
    rows: int
    seconds: float
    done: bool

    @property
    def rate(self) -> float | None:
        """Rows per second over the stream's time so far; None while that is too short to
        tell (a tenth of a second)."""
        return self.rows / self.seconds if self.seconds >= _MEASURABLE_SECONDS else None

    def as_dict(self) -> dict[str, object]:
        rate = self.rate
        return {
            "stream": self.stream,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "rows_per_second": None if rate is None else round(rate, 1),
        }


class Watcher(Protocol):
    """What shows a run's progress (``elt run``'s display): it is handed each attempt's
    metrics before the attempt starts, and says how often plugins should report."""

    @property
    def metric_interval(self) -> float | None:
        """Seconds between a plugin's counts (``ELT_METRIC_INTERVAL``); None: the plugin's."""
        ...

    def watch(self, metrics: RunMetrics) -> None:
        """Show ``metrics`` from now on."""
        ...


@dataclass
class _Track:
    rows: int
    first: float
    last: float
    synced: float = 0.0  # the longest sync_duration the plugin reported
    done: bool = False
    counted: bool = False  # a record_count line arrived (not only a timer)


class RunMetrics:
    """Counters summed per plugin and stream; fed from the stderr threads of several plugins.

    ``clock`` (monotonic seconds) times the lines' arrival; tests pass their own.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._streams: dict[str, dict[str, _Track]] = {}
        self._committed: dict[str, dict[str, int]] = {}
        self._bytes: dict[str, int] = {}
        self._lock = threading.Lock()

    def feed(self, source: str, line: str) -> None:
        """Count ``line`` if it is a METRIC line of plugin ``source``."""
        point = parse_metric(line)
        if point is None:
            return
        at = self._clock()
        stream = point.stream or _UNNAMED
        with self._lock:
            if point.kind == "counter" and point.metric == "record_count" and point.committed:
                committed = self._committed.setdefault(source, {})
                committed[stream] = committed.get(stream, 0) + int(point.value)
            elif point.kind == "counter" and point.metric == "record_count":
                tracks = self._streams.setdefault(source, {})
                track = tracks.get(stream)
                if track is None:
                    tracks[stream] = _Track(int(point.value), at, at, counted=True)
                else:
                    track.rows += int(point.value)
                    track.last = at
                    track.counted = True
            elif point.kind == "counter" and point.metric in _BYTES:
                self._bytes[source] = self._bytes.get(source, 0) + int(point.value)
            elif point.kind == "timer" and point.metric == "sync_duration":
                track = self._streams.setdefault(source, {}).setdefault(stream, _Track(0, at, at))
                track.last = at
                track.synced = max(track.synced, float(point.value))
                track.done = True

    def rows(self, tap: str, target: str) -> dict[str, int]:
        """Records per stream: what the target committed when it reports commits, else the
        tap's counts, else the target's, else none (:meth:`rows_kind` says which)."""
        with self._lock:
            if target in self._committed:
                return dict(sorted(self._committed[target].items()))
            return {s: t.rows for s, t in sorted(self._counted(tap, target).items())}

    def rows_kind(self, tap: str, target: str) -> str | None:
        """:data:`COMMITTED` or :data:`EXTRACTED` rows (see :meth:`rows`); None: no counts."""
        with self._lock:
            if target in self._committed:
                return COMMITTED
            return EXTRACTED if self._counted(tap, target) else None

    def progress(self, tap: str, target: str, *, ended: bool = False) -> list[StreamProgress]:
        """Each stream's progress, by the tap's counts, else the target's; in order of start.

        A stream still running has run until now; with ``ended`` (the run is over) every
        stream is done and ran until its last line, and its rows are what the target
        committed when it reports commits (a stream it committed nothing of shows 0).
        """
        now = self._clock()
        with self._lock:
            tracks = sorted(self._counted(tap, target).items(), key=lambda item: item[1].first)
            committed = self._committed.get(target) if ended else None
            shown = [
                StreamProgress(
                    stream,
                    track.rows if committed is None else committed.get(stream, 0),
                    max((track.last if track.done or ended else now) - track.first, track.synced),
                    track.done or ended,
                )
                for stream, track in tracks
            ]
            if committed is not None:
                seen = {p.stream for p in shown}
                shown += [
                    StreamProgress(stream, rows, 0.0, True)
                    for stream, rows in committed.items()
                    if stream not in seen
                ]
            return shown

    def bytes(self, tap: str, target: str) -> int | None:
        """Bytes the tap reported, else the target; None when neither reported any."""
        with self._lock:
            for source in (tap, target):
                if source in self._bytes:
                    return self._bytes[source]
            return None

    def _counted(self, tap: str, target: str) -> dict[str, _Track]:
        for source in (tap, target):
            tracks = self._streams.get(source, {})
            if any(t.counted for t in tracks.values()):
                return tracks
        return {}
