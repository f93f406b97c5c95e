"""Rows and bytes from the METRIC lines plugins log."""

from __future__ import annotations

import json

from elt.run.metrics import RunMetrics, StreamProgress


def line(metric: str, value: object, kind: str = "counter", **tags: object) -> str:
    point = {"type": kind, "metric": metric, "value": value, "tags": tags}
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
    assert metrics.progress("tap", "target") == []


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def timer(seconds: float, stream: str) -> str:
    return line("sync_duration", seconds, kind="timer", stream=stream)


def test_progress_times_each_stream_from_its_first_line_until_now_or_its_end() -> None:
    clock = Clock()
    metrics = RunMetrics(clock)
    metrics.feed("tap", line("record_count", 0, stream="users"))
    clock.now = 104.0
    metrics.feed("tap", line("record_count", 400, stream="users"))
    clock.now = 105.0
    (users,) = metrics.progress("tap", "target")
    assert users == StreamProgress("users", 400, 5.0, done=False)
    assert users.rate == 80.0
    metrics.feed("tap", timer(5.5, "users"))
    metrics.feed("tap", line("record_count", 100, stream="users"))
    metrics.feed("tap", line("record_count", 0, stream="orders"))
    clock.now = 107.0
    users, orders = metrics.progress("tap", "target")
    # ended: its last line came at 105, but the plugin timed it at 5.5 s (the longer)
    assert users == StreamProgress("users", 500, 5.5, done=True)
    assert orders == StreamProgress("orders", 0, 2.0, done=False)
    assert orders.rate == 0.0
    assert metrics.progress("tap", "target", ended=True)[1] == StreamProgress(
        "orders", 0, 0.0, done=True
    )
    assert StreamProgress("x", 3, 0.05, done=True).rate is None  # too short to tell


def test_progress_follows_the_target_when_the_tap_counts_nothing() -> None:
    clock = Clock()
    metrics = RunMetrics(clock)
    metrics.feed("tap", timer(1.0, "users"))  # a timer alone is not a count
    metrics.feed("target", line("record_count", 7, stream="users"))
    assert metrics.progress("tap", "target") == [StreamProgress("users", 7, 0.0, done=False)]
    assert metrics.rows("tap", "target") == {"users": 7}


def test_rows_are_the_targets_committed_counts_when_it_reports_them() -> None:
    metrics = RunMetrics(clock=iter(range(100)).__next__)
    metrics.feed("tap", line("record_count", 10, stream="orders"))
    assert metrics.rows("tap", "target") == {"orders": 10}
    assert metrics.rows_kind("tap", "target") == "extracted"
    for stream, rows in (("orders", 4), ("orders", 3), ("customers", 1)):
        metrics.feed("target", line("record_count", rows, stream=stream, committed=True))
    assert metrics.rows("tap", "target") == {"customers": 1, "orders": 7}
    assert metrics.rows_kind("tap", "target") == "committed"
    # live progress follows extraction; the final table what was committed
    assert [p.rows for p in metrics.progress("tap", "target")] == [10]
    final = metrics.progress("tap", "target", ended=True)
    assert [(p.stream, p.rows) for p in final] == [("orders", 7), ("customers", 1)]


def test_nothing_counted_has_no_kind() -> None:
    assert RunMetrics().rows_kind("tap", "target") is None
