"""Which alert fires for which run, and what its payload says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from elt.history import RunOrigin, RunRecord, RunStatus, Trigger
from elt.project import AlertEvent, AlertSpec
from elt.run.alerts import events_for, payload

START = datetime(2025, 1, 1, tzinfo=UTC)


def run(status: RunStatus, seconds: float, **fields: object) -> RunRecord:
    values: dict[str, object] = {
        "run_id": "r1",
        "state_id": "dev:a-to-b",
        "tap": "tap-a",
        "target": "target-b",
        "started_at": START,
        "ended_at": START + timedelta(seconds=seconds),
        "log_path": "/logs/r1.log",
        "status": status,
        "rows": {"users": 10},
        **fields,
    }
    return RunRecord(**values)  # type: ignore[arg-type]


def alert(*on: str, slow_factor: float = 3) -> AlertSpec:
    return AlertSpec.model_validate({"on": list(on), "command": "true", "slow_factor": slow_factor})


@pytest.mark.parametrize(
    ("on", "status", "seconds", "median", "fired"),
    [
        (["failure"], RunStatus.FAILED, 1, None, AlertEvent.FAILURE),
        (["failure"], RunStatus.SUCCESS, 1, None, None),
        (["failure"], RunStatus.INTERRUPTED, 1, None, None),
        (["success"], RunStatus.SUCCESS, 1, None, AlertEvent.SUCCESS),
        (["slow"], RunStatus.SUCCESS, 31, 10, AlertEvent.SLOW),
        (["slow"], RunStatus.SUCCESS, 29, 10, None),
        (["slow"], RunStatus.SUCCESS, 100, None, None),  # too few earlier runs to judge
        (["slow", "success"], RunStatus.SUCCESS, 31, 10, AlertEvent.SLOW),
        (["slow", "success"], RunStatus.SUCCESS, 12, 10, AlertEvent.SUCCESS),
        (["slow"], RunStatus.FAILED, 100, 10, None),
    ],
)
def test_an_alert_fires_for_the_events_it_names(
    on: list[str],
    status: RunStatus,
    seconds: float,
    median: float | None,
    fired: AlertEvent | None,
) -> None:
    assert events_for(alert(*on), run(status, seconds), median) is fired


def test_the_payload_has_a_chat_text_and_the_runs_fields() -> None:
    failed = run(
        RunStatus.FAILED,
        2,
        error="tap tap-a exited with code 3. The last lines of its stderr:\n  boom",
        origin=RunOrigin(Trigger.RETRY, 3, "r0"),
        mappers=("m",),
    )
    body = payload(failed, AlertEvent.FAILURE)
    assert body["text"] == (
        "elt run r1 (tap-a -> m -> target-b, state id dev:a-to-b) failed after 3 attempts in "
        "2.0 s: tap tap-a exited with code 3. The last lines of its stderr:\n  boom\n"
        "log: /logs/r1.log"
    )
    assert body["blocks"] == ["tap-a", "m", "target-b"]
    assert (body["retry_of"], body["attempt"], body["rows"]) == ("r0", 3, {"users": 10})
    slow = payload(run(RunStatus.SUCCESS, 40), AlertEvent.SLOW, median=10)
    assert "was slow: 40.0 s, 4.0x the median of recent successful runs (10.0 s)" in slow["text"]
    assert slow["median_duration_seconds"] == 10
