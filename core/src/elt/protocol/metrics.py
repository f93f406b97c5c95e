"""Singer METRIC log lines: what plugins report of their progress on stderr.

singer-sdk (and singer-python) log measurements as
``INFO ... METRIC: {"type": "counter", "metric": "record_count", "value": 42, "tags":
{"stream": "users", ...}}``. A counter's value is the count since the previous line of the
same counter (the values add up); a timer's (``sync_duration``) is the seconds one sync
of a stream (or of one of its partitions) took, logged when it ends.

singer-sdk logs a counter every 60 s. A plugin that reads :data:`METRIC_INTERVAL_ENV`
(elt's own do, :mod:`elt.sdk.progress`) logs every that many seconds instead: ``elt run``
sets it so that its progress display moves while a stream is being extracted.

A ``record_count`` counter tagged ``"committed": true`` (elt's own targets log one after
each commit, :func:`elt.sdk.log_committed`) counts rows the target has made durable, not
rows it has merely seen: ``committed`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

__all__ = ["METRIC_INTERVAL_ENV", "METRIC_MARK", "MetricPoint", "parse_metric"]

METRIC_MARK = "METRIC:"
METRIC_INTERVAL_ENV = "ELT_METRIC_INTERVAL"


@dataclass(frozen=True)
class MetricPoint:
    """One measurement: ``kind`` is ``counter`` or ``timer``; ``stream`` None when untagged;
    ``committed`` when a target counts rows it has committed."""

    kind: str
    metric: str
    value: float
    stream: str | None
    committed: bool = False


def parse_metric(line: str) -> MetricPoint | None:
    """The counter or timer a log line reports, or None when it reports none.

    Anything that is not a well-formed counter (an integer value) or timer (a number) is
    ignored: a plugin's log is not a place to fail a run over.
    """
    at = line.find(METRIC_MARK)
    if at < 0:
        return None
    try:
        point = orjson.loads(line[at + len(METRIC_MARK) :])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(point, dict):
        return None
    kind, metric, value = point.get("type"), point.get("metric"), point.get("value")
    if not isinstance(metric, str) or isinstance(value, bool):
        return None
    if not (
        (kind == "counter" and isinstance(value, int))
        or (kind == "timer" and isinstance(value, int | float))
    ):
        return None
    tags = point.get("tags")
    if not isinstance(tags, dict):
        tags = {}
    stream = tags.get("stream")
    return MetricPoint(
        kind,
        metric,
        value,
        stream if isinstance(stream, str) else None,
        committed=tags.get("committed") is True,
    )
