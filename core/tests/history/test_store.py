"""The history store contract, on SQLite (the default) and on a real Postgres server."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from elt.errors import ProjectError, ServiceError
from elt.history import (
    SCHEMA_VERSION,
    HistoryStore,
    RunOrigin,
    RunRecord,
    RunStatus,
    Trigger,
    open_history,
)

START = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def history(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HistoryStore]:
    url = request.getfixturevalue("pg_database") if request.param == "postgres" else None
    with open_history(tmp_path, url) as store:
        yield store


def record(
    run_id: str, *, minutes: int = 0, state_id: str = "dev:a-to-b", **fields: object
) -> RunRecord:
    values: dict[str, object] = {
        "run_id": run_id,
        "state_id": state_id,
        "tap": "tap-a",
        "target": "target-b",
        "started_at": START + timedelta(minutes=minutes),
        "log_path": f"/logs/{run_id}.log",
        **fields,
    }
    return RunRecord(**values)  # type: ignore[arg-type]


def finished(run: RunRecord, status: RunStatus, seconds: float) -> RunRecord:
    ended = run.ended(status, rows={"users": 3}, bytes=None, exit_code=0, error=None)
    return replace(ended, ended_at=run.started_at + timedelta(seconds=seconds))


def test_a_run_is_recorded_running_then_with_its_outcome(history: HistoryStore) -> None:
    run = record("r1", mappers=("map-x",), environment="dev")
    history.add(run)
    assert history.get("r1") == run
    done = run.ended(
        RunStatus.FAILED,
        rows={"users": 5, "orders": 2},
        bytes=1024,
        exit_code=70,
        error="boom\nmore",
    )
    history.finish(done)
    got = history.get("r1")
    assert got == done
    assert got is not None
    assert (got.summary, got.total_rows) == ("boom", 7)
    assert got.blocks == ("tap-a", "map-x", "target-b")
    assert history.get("nope") is None


def test_list_is_newest_first_and_filters_by_state_id_and_status(history: HistoryStore) -> None:
    for number in range(4):
        run = record(f"r{number}", minutes=number, state_id="dev:x" if number % 2 else "dev:y")
        history.add(run)
        if number < 3:
            history.finish(finished(run, RunStatus.SUCCESS if number else RunStatus.FAILED, 1))
    assert [r.run_id for r in history.list_runs()] == ["r3", "r2", "r1", "r0"]
    assert [r.run_id for r in history.list_runs(limit=2)] == ["r3", "r2"]
    assert [r.run_id for r in history.list_runs(state_id="dev:x")] == ["r3", "r1"]
    assert [r.run_id for r in history.list_runs(status=RunStatus.FAILED)] == ["r0"]
    assert [r.run_id for r in history.list_runs(status=RunStatus.RUNNING)] == ["r3"]


def test_list_filters_by_schedule_and_job(history: HistoryStore) -> None:
    history.add(record("cli"))
    history.add(record("s1", minutes=1, origin=RunOrigin(Trigger.SCHEDULE, schedule="nightly")))
    nightly_job = RunOrigin(Trigger.SCHEDULE, schedule="nightly", job="load")
    history.add(record("s2", minutes=2, origin=nightly_job))
    history.add(record("j1", minutes=3, origin=RunOrigin(job="load")))
    assert [r.run_id for r in history.list_runs(schedule="nightly")] == ["s2", "s1"]
    assert [r.run_id for r in history.list_runs(job="load")] == ["j1", "s2"]
    assert [r.run_id for r in history.list_runs(schedule="nightly", job="load")] == ["s2"]
    assert history.list_runs(job="other") == []


def test_list_pages_and_filters_by_time_range_and_counts_agree(history: HistoryStore) -> None:
    for number in range(7):
        history.add(record(f"r{number}", minutes=10 * number))
    since, until = START + timedelta(minutes=15), START + timedelta(minutes=50)
    assert [r.run_id for r in history.list_runs(since=since, until=until)] == [
        "r4",
        "r3",
        "r2",
    ]
    assert history.count_runs(since=since, until=until) == 3
    pages = [history.list_runs(limit=3, offset=offset) for offset in (0, 3, 6)]
    assert [[r.run_id for r in page] for page in pages] == [
        ["r6", "r5", "r4"],
        ["r3", "r2", "r1"],
        ["r0"],
    ]
    assert history.count_runs() == 7
    assert history.count_runs(state_id="dev:other") == 0


def test_pipelines_sum_up_each_state_id_and_name_its_latest_run(history: HistoryStore) -> None:
    outcomes = [RunStatus.SUCCESS, RunStatus.FAILED, RunStatus.SUCCESS, RunStatus.SUCCESS]
    for number, status in enumerate(outcomes):
        run = record(f"x{number}", minutes=number, state_id="dev:x")
        history.add(run)
        history.finish(finished(run, status, 10 * (number + 1)))
    history.add(record("y0", minutes=9, state_id="dev:y"))  # still running
    y, x = history.pipelines()
    assert (x.state_id, x.runs, x.successes, x.failures, x.running) == ("dev:x", 4, 3, 1, 0)
    assert x.mean_duration == pytest.approx((10 + 30 + 40) / 3)
    assert (x.last_run_id, x.last_status, x.last_started_at) == (
        "x3",
        RunStatus.SUCCESS,
        START + timedelta(minutes=3),
    )
    assert x.success_rate == 0.75
    assert (y.state_id, y.runs, y.running, y.success_rate, y.mean_duration) == (
        "dev:y",
        1,
        1,
        None,
        None,
    )
    [recent] = history.pipelines(since=START + timedelta(minutes=5))
    assert recent.state_id == "dev:y"


def test_series_are_a_pipelines_latest_runs_oldest_first_with_seconds_and_rows(
    history: HistoryStore,
) -> None:
    for number in range(4):
        run = record(f"x{number}", minutes=number, state_id="dev:x")
        history.add(run)
        if number < 3:
            history.finish(finished(run, RunStatus.SUCCESS, number + 1))
    points = history.series("dev:x", limit=3)
    assert [(p.run_id, p.status, p.duration, p.rows) for p in points] == [
        ("x1", RunStatus.SUCCESS, 2.0, 3),
        ("x2", RunStatus.SUCCESS, 3.0, 3),
        ("x3", RunStatus.RUNNING, None, None),
    ]
    assert points[0].started_at == START + timedelta(minutes=1)


def test_a_retry_keeps_its_trigger_attempt_and_first_run(history: HistoryStore) -> None:
    history.add(record("r2", origin=RunOrigin(Trigger.RETRY, 2, "r1")))
    got = history.get("r2")
    assert got is not None
    assert got.origin == RunOrigin(Trigger.RETRY, 2, "r1")


def test_a_running_row_whose_process_is_gone_reads_as_unknown(history: HistoryStore) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    history.add(record("dead", pid=gone.pid))
    history.add(record("alive", minutes=1))
    history.add(record("elsewhere", minutes=2, pid=gone.pid, host="another-host"))
    statuses = {r.run_id: r.status for r in history.list_runs()}
    assert statuses == {
        "dead": RunStatus.UNKNOWN,
        "alive": RunStatus.RUNNING,
        "elsewhere": RunStatus.RUNNING,
    }


def test_durations_are_those_of_earlier_successful_runs_of_the_state_id(
    history: HistoryStore,
) -> None:
    for number, (status, seconds) in enumerate(
        [(RunStatus.SUCCESS, 10), (RunStatus.FAILED, 99), (RunStatus.SUCCESS, 20)]
    ):
        run = record(f"r{number}", minutes=number)
        history.add(run)
        history.finish(finished(run, status, seconds))
    history.add(record("other", minutes=5, state_id="dev:other"))
    assert history.durations("dev:a-to-b", before=START + timedelta(hours=1), limit=10) == [20, 10]
    assert history.durations("dev:a-to-b", before=START + timedelta(minutes=1), limit=10) == [10]


def test_sqlite_is_versioned_in_wal_mode_and_private(tmp_path: Path) -> None:
    with open_history(tmp_path, None) as store:
        store.list_runs()
    path = tmp_path / ".elt" / "system.db"
    assert path.stat().st_mode & 0o777 == 0o600
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert connection.execute("SELECT component, version FROM elt_schema").fetchall() == [
        ("history", SCHEMA_VERSION)
    ]
    connection.close()


def test_a_history_of_a_newer_elt_is_refused(tmp_path: Path) -> None:
    with open_history(tmp_path, "sqlite:///ops/history.db") as store:
        store.list_runs()
    connection = sqlite3.connect(tmp_path / "ops" / "history.db")
    connection.execute("UPDATE elt_schema SET version = 99")
    connection.commit()
    connection.close()
    with (
        open_history(tmp_path, "sqlite:///ops/history.db") as store,
        pytest.raises(
            ServiceError, match=f"schema version 99; this elt knows versions up to {SCHEMA_VERSION}"
        ),
    ):
        store.list_runs()


def test_an_unknown_system_database_scheme_is_a_project_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="system_database mysql: is not supported"):
        open_history(tmp_path, "mysql://x/y")


def test_an_unreachable_postgres_history_names_it_without_the_password(tmp_path: Path) -> None:
    store = open_history(tmp_path, "postgresql://me:s3cret@127.0.0.1:9/db")
    with store, pytest.raises(ServiceError) as raised:
        store.list_runs()
    assert "postgresql://me:********@127.0.0.1:9/db" in str(raised.value)
    assert "s3cret" not in str(raised.value)
