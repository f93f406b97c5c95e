"""Record counters that let ``elt run`` show a stream's progress while it is extracted.

singer-sdk logs a stream's ``record_count`` every 60 s and not at all before its first
minute. :class:`MeteredStream` (a mixin placed before singer-sdk's stream class) logs
every ``ELT_METRIC_INTERVAL`` seconds when that is set (``elt run`` sets it) and a zero
count when the stream first starts, so the run shows it at once and times it from its
real start. The zero is logged once per stream, not for each partition of a child stream.

Targets report what they *committed* with :func:`log_committed`: a ``record_count`` counter
tagged ``"committed": true``, logged right after the commit that made those rows durable
(before the STATE that covers them). ``elt run`` takes a run's rows from these when the
target logs them and labels the tap's counts "extracted" otherwise.
"""

from __future__ import annotations

import math
import os
from typing import Any

from singer_sdk import metrics
from singer_sdk.streams import Stream

from elt.protocol import METRIC_INTERVAL_ENV

__all__ = ["COMMITTED_TAG", "MeteredStream", "log_committed", "metric_interval"]

#: the tag that marks a target's record_count counter as rows it committed
COMMITTED_TAG = "committed"

_MIN_INTERVAL = 0.1


def metric_interval() -> float:
    """Seconds between a counter's METRIC lines: ``ELT_METRIC_INTERVAL``, else singer-sdk's.

    A value that is not a positive number is ignored (the plugin must not fail over it).
    """
    text = os.environ.get(METRIC_INTERVAL_ENV, "")
    try:
        seconds = float(text)
    except ValueError:
        return metrics.DEFAULT_LOG_INTERVAL
    if not math.isfinite(seconds) or seconds <= 0:
        return metrics.DEFAULT_LOG_INTERVAL
    return max(seconds, _MIN_INTERVAL)


class MeteredStream(Stream):
    """A stream whose record counter follows :func:`metric_interval` and logs its start."""

    _elt_started = False

    def get_record_counter(
        self, *, endpoint: str | None = None, log_interval: float | None = None
    ) -> metrics.Counter:
        counter = super().get_record_counter(
            endpoint=endpoint,
            log_interval=metric_interval() if log_interval is None else log_interval,
        )
        if not self._elt_started:
            self._elt_started = True
            tags: dict[str, Any] = dict(counter.tags)
            metrics.log(counter.logger, metrics.Point("counter", counter.metric, 0, tags))
        return counter


def log_committed(stream: str, rows: int) -> None:
    """Log ``rows`` of ``stream`` as committed: call it once per commit, after it succeeded.

    Counters add up, so each call reports the rows of that commit only; a commit of no rows
    of a stream logs nothing for it.
    """
    if rows <= 0:
        return
    tags: dict[str, Any] = {"stream": stream, COMMITTED_TAG: True}
    metrics.log(
        metrics.get_metrics_logger(),
        metrics.Point("counter", metrics.Metric.RECORD_COUNT, rows, tags),
    )
