"""Record counters of elt's own taps: ELT_METRIC_INTERVAL and a stream's start."""

from __future__ import annotations

import logging

import pytest
from singer_sdk import metrics

from core.tests.sdk.toy import NumbersStream, TapToy
from elt.protocol import METRIC_INTERVAL_ENV, parse_metric
from elt.sdk import MeteredStream, metric_interval


class MeteredNumbers(MeteredStream, NumbersStream):
    pass


class TapMetered(TapToy):
    name = "tap-metered"

    def discover_streams(self) -> list[MeteredNumbers]:  # type: ignore[override]
        return [MeteredNumbers(self)]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2.5", 2.5),
        ("0.01", 0.1),  # not a busy loop of log lines
        (None, metrics.DEFAULT_LOG_INTERVAL),
        ("", metrics.DEFAULT_LOG_INTERVAL),
        ("soon", metrics.DEFAULT_LOG_INTERVAL),
        ("0", metrics.DEFAULT_LOG_INTERVAL),
        ("-3", metrics.DEFAULT_LOG_INTERVAL),
        ("nan", metrics.DEFAULT_LOG_INTERVAL),
    ],
)
def test_the_interval_comes_from_the_environment_and_bad_values_are_ignored(
    monkeypatch: pytest.MonkeyPatch, value: str | None, seconds: float
) -> None:
    if value is None:
        monkeypatch.delenv(METRIC_INTERVAL_ENV, raising=False)
    else:
        monkeypatch.setenv(METRIC_INTERVAL_ENV, value)
    assert metric_interval() == seconds


def test_a_stream_logs_a_zero_count_once_when_it_starts_then_counts_at_the_interval(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(METRIC_INTERVAL_ENV, "3")
    stream = TapMetered(config={"count": 5}).streams["numbers"]
    with caplog.at_level(logging.INFO, logger=metrics.METRICS_LOGGER_NAME):
        first = stream.get_record_counter()
        second = stream.get_record_counter()  # a child stream's next partition
    assert (first.log_interval, second.log_interval) == (3.0, 3.0)
    assert stream.get_record_counter(log_interval=7).log_interval == 7
    points = [parse_metric(r.getMessage()) for r in caplog.records]
    assert [(p.metric, p.value, p.stream) for p in points if p] == [("record_count", 0, "numbers")]
