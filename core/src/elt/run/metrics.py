"""Rows and bytes of a run, from the METRIC lines plugins log on stderr.

singer-sdk (and singer-python) log counters as
``INFO ... METRIC: {"type": "counter", "metric": "record_count", "value": 42, "tags":
{"stream": "users", ...}}``; each line holds the count since the previous line of the same
counter, so the values add up. A run's rows per stream are the tap's ``record_count``
counters (what was extracted); when the tap logs none (a plain singer-python tap, say), the
target's. Bytes are counters named ``byte_count`` or ``bytes``, when a plugin logs any.

The stderr pump hands every line here (:class:`elt.run.logs.StderrPump`); a line without
``METRIC:`` costs one substring search, so a chatty plugin is not slowed down.
"""

from __future__ import annotations

import json
import threading
from collections import Counter

__all__ = ["METRIC_MARK", "RunMetrics"]

METRIC_MARK = "METRIC:"
_BYTES = frozenset({"byte_count", "bytes"})


class RunMetrics:
    """Counters summed per plugin; fed from the stderr threads of several plugins at once."""

    def __init__(self) -> None:
        self._rows: dict[str, Counter[str]] = {}
        self._bytes: Counter[str] = Counter()
        self._lock = threading.Lock()

    def feed(self, source: str, line: str) -> None:
        """Count ``line`` if it is a counter METRIC line of plugin ``source``."""
        at = line.find(METRIC_MARK)
        if at < 0:
            return
        try:
            point = json.loads(line[at + len(METRIC_MARK) :])
        except ValueError:
            return
        if not isinstance(point, dict) or point.get("type") != "counter":
            return
        value, metric, tags = point.get("value"), point.get("metric"), point.get("tags")
        if not isinstance(value, int) or isinstance(value, bool):
            return
        with self._lock:
            if metric == "record_count":
                stream = tags.get("stream") if isinstance(tags, dict) else None
                counts = self._rows.setdefault(source, Counter())
                counts[stream if isinstance(stream, str) else "(unnamed)"] += value
            elif metric in _BYTES:
                self._bytes[source] += value

    def rows(self, tap: str, target: str) -> dict[str, int]:
        """Records per stream: the tap's counts, else the target's, else none."""
        with self._lock:
            counts = self._rows.get(tap) or self._rows.get(target) or Counter()
            return dict(sorted(counts.items()))

    def bytes(self, tap: str, target: str) -> int | None:
        """Bytes the tap reported, else the target; None when neither reported any."""
        with self._lock:
            for source in (tap, target):
                if source in self._bytes:
                    return self._bytes[source]
            return None
