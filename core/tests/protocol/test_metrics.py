"""Reading Singer METRIC log lines."""

from __future__ import annotations

import json

import pytest

from elt.protocol import MetricPoint, parse_metric


def line(point: object) -> str:
    return f"2025-01-01 12:00:00,000 | INFO | singer_sdk.metrics | METRIC: {json.dumps(point)}"


def test_a_counter_and_a_timer_are_read_with_their_stream() -> None:
    counter = {"type": "counter", "metric": "record_count", "value": 42, "tags": {"stream": "a"}}
    timer = {"type": "timer", "metric": "sync_duration", "value": 1.5, "tags": {"stream": "a"}}
    assert parse_metric(line(counter)) == MetricPoint("counter", "record_count", 42, "a")
    assert parse_metric(line(timer)) == MetricPoint("timer", "sync_duration", 1.5, "a")


def test_a_point_without_a_stream_tag_has_none() -> None:
    point = {"type": "counter", "metric": "byte_count", "value": 10, "tags": {"stream": 3}}
    assert parse_metric(line(point)) == MetricPoint("counter", "byte_count", 10, None)
    assert parse_metric(line({**point, "tags": None})) == MetricPoint(
        "counter", "byte_count", 10, None
    )


@pytest.mark.parametrize(
    "text",
    [
        "INFO starting",
        "INFO METRIC: {not json",
        "INFO METRIC: [1, 2]",
        line({"type": "counter", "metric": "record_count", "value": "12"}),
        line({"type": "counter", "metric": "record_count", "value": True}),
        line({"type": "counter", "metric": "record_count", "value": 1.5}),
        line({"type": "timer", "metric": "sync_duration", "value": "1"}),
        line({"type": "gauge", "metric": "x", "value": 1}),
        line({"type": "counter", "metric": 7, "value": 1}),
    ],
)
def test_lines_that_are_not_well_formed_counters_or_timers_are_ignored(text: str) -> None:
    assert parse_metric(text) is None
