"""Rows and bytes from the METRIC lines plugins log."""

from __future__ import annotations

import json

from elt.run.metrics import RunMetrics


def line(metric: str, value: object, **tags: object) -> str:
    point = {"type": "counter", "metric": metric, "value": value, "tags": tags}
    return f"2025-01-01 12:00:00,000 | INFO | singer_sdk.metrics | METRIC: {json.dumps(point)}"


def test_counters_add_up_per_stream_and_the_tap_counts_rows() -> None:
    metrics = RunMetrics()
    metrics.feed("tap", line("record_count", 100, stream="users", context={"p": 1}))
    metrics.feed("tap", line("record_count", 20, stream="users"))
    metrics.feed("tap", line("record_count", 3, stream="orders"))
    metrics.feed("target", line("record_count", 999, stream="users"))
    metrics.feed("tap", line("http_request_duration", 0.5, endpoint="/users"))
    assert metrics.rows("tap", "target") == {"orders": 3, "users": 120}
    assert metrics.bytes("tap", "target") is None


def test_the_target_counts_when_the_tap_logs_no_metrics_and_bytes_when_reported() -> None:
    metrics = RunMetrics()
    metrics.feed("target", line("record_count", 7, stream="users"))
    metrics.feed("target", line("byte_count", 2048))
    assert metrics.rows("tap", "target") == {"users": 7}
    assert metrics.bytes("tap", "target") == 2048


def test_lines_that_are_not_counter_metrics_are_ignored() -> None:
    metrics = RunMetrics()
    for text in [
        "INFO starting",
        "INFO METRIC: {not json",
        "INFO METRIC: [1, 2]",
        line("record_count", "12", stream="users"),
        line("record_count", True, stream="users"),
        'INFO METRIC: {"type": "timer", "metric": "sync_duration", "value": 1.5}',
    ]:
        metrics.feed("tap", text)
    assert metrics.rows("tap", "target") == {}
