"""The progress callback of the Python API: snapshots while a run lasts, one at its end."""

from __future__ import annotations

import json
import threading

from elt.api import RunProgress
from elt.api.progress import ProgressReporter
from elt.run.metrics import RunMetrics


def metric(stream: str, rows: int) -> str:
    point = {"type": "counter", "metric": "record_count", "value": rows, "tags": {"stream": stream}}
    return f"INFO | singer_sdk.metrics | METRIC: {json.dumps(point)}"


def test_the_callback_is_called_while_the_run_lasts_and_once_done() -> None:
    seen: list[RunProgress] = []
    called = threading.Event()

    def callback(progress: RunProgress) -> None:
        seen.append(progress)
        called.set()

    metrics = RunMetrics()
    with ProgressReporter(callback, "tap", "target", interval=0.01) as reporter:
        reporter.watch(metrics)
        metrics.feed("tap", metric("orders", 5))
        assert called.wait(5)
        metrics.feed("tap", metric("orders", 7))
    assert seen[-1].done
    assert [p.done for p in seen].count(True) == 1
    assert (seen[-1].rows, seen[-1].attempt) == (12, 1)
    assert all(not p.done for p in seen[:-1])


def test_a_new_attempt_is_counted_and_reported_from_its_own_metrics() -> None:
    seen: list[RunProgress] = []
    with ProgressReporter(seen.append, "tap", "target", interval=0) as reporter:
        first = RunMetrics()
        reporter.watch(first)
        first.feed("tap", metric("orders", 3))
        second = RunMetrics()
        reporter.watch(second)
        second.feed("tap", metric("orders", 1))
    assert [(p.attempt, p.rows, p.done) for p in seen] == [(2, 1, True)]  # interval 0: the end only


def test_a_callback_that_raises_is_not_called_again() -> None:
    calls: list[RunProgress] = []

    def broken(progress: RunProgress) -> None:
        calls.append(progress)
        raise ValueError("no screen")

    with ProgressReporter(broken, "tap", "target", interval=0.001) as reporter:
        reporter.watch(RunMetrics())
        threading.Event().wait(0.05)
    assert len(calls) == 1
