"""Histories written by earlier elt versions are upgraded in place, their rows kept intact.

Each old database is made with the DDL that version shipped, written out here (not taken
from :data:`elt.history.store.MIGRATIONS`, which a later change could alter), with one row
as that version wrote it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from elt.history import (
    SCHEMA_VERSION,
    RunOrigin,
    RunRecord,
    RunStatus,
    Trigger,
    open_history,
)

# schema version 1, as elt created it
V1 = (
    """CREATE TABLE elt_runs (
            run_id {text} PRIMARY KEY,
            state_id {text} NOT NULL,
            tap {text} NOT NULL,
            mappers {json} NOT NULL,
            target {text} NOT NULL,
            environment {text},
            trigger {text} NOT NULL,
            attempt {int} NOT NULL,
            retry_of {text},
            status {text} NOT NULL,
            started_at {time} NOT NULL,
            ended_at {time},
            rows {json} NOT NULL,
            bytes {bigint},
            exit_code {int},
            error {text},
            log_path {text} NOT NULL,
            pid {int} NOT NULL,
            host {text} NOT NULL)""",
    "CREATE INDEX elt_runs_by_state ON elt_runs (state_id, started_at)",
    "CREATE INDEX elt_runs_by_start ON elt_runs (started_at)",
)
# version 2 added the schedule of a run
V2 = (
    *V1,
    "ALTER TABLE elt_runs ADD COLUMN schedule {text}",
    "CREATE INDEX elt_runs_by_schedule ON elt_runs (schedule, started_at)",
)
TYPES = {
    "sqlite": {
        "text": "TEXT",
        "int": "INTEGER",
        "bigint": "INTEGER",
        "json": "TEXT",
        "time": "TEXT",
    },
    "postgres": {
        "text": "text",
        "int": "integer",
        "bigint": "bigint",
        "json": "jsonb",
        "time": "timestamptz",
    },
}
V1_ROW = """INSERT INTO elt_runs (run_id, state_id, tap, mappers, target, environment, trigger,
    attempt, retry_of, status, started_at, ended_at, rows, bytes, exit_code, error, log_path,
    pid, host) VALUES ('old-1', 'dev:tap-a-to-target-b', 'tap-a', CAST('["map-x"]' AS {json}),
    'target-b', 'dev', 'retry', 2, 'old-0', 'failed',
    CAST('2025-01-01T12:00:00.000Z' AS {time}), CAST('2025-01-01T12:00:05.250Z' AS {time}),
    CAST('{{"users": 5}}' AS {json}), 1024, 70, 'boom', '/logs/old-1.log', 4242, 'other-host')"""
V2_ROW = """INSERT INTO elt_runs (run_id, state_id, tap, mappers, target, environment, trigger,
    attempt, retry_of, schedule, status, started_at, ended_at, rows, bytes, exit_code, error,
    log_path, pid, host) VALUES ('old-2', 'nightly', 'tap-a', CAST('[]' AS {json}),
    'target-b', NULL, 'schedule', 1, NULL, 'nightly', 'success',
    CAST('2025-01-02T03:00:00.000Z' AS {time}), CAST('2025-01-02T03:01:00.000Z' AS {time}),
    CAST('{{}}' AS {json}), NULL, 0, NULL, '/logs/old-2.log', 4243, 'other-host')"""
OLD_1 = RunRecord(
    run_id="old-1",
    state_id="dev:tap-a-to-target-b",
    tap="tap-a",
    target="target-b",
    mappers=("map-x",),
    environment="dev",
    origin=RunOrigin(Trigger.RETRY, 2, "old-0"),
    status=RunStatus.FAILED,
    started_at=datetime(2025, 1, 1, 12, 0, tzinfo=UTC),
    ended_at=datetime(2025, 1, 1, 12, 0, 5, 250000, tzinfo=UTC),
    rows={"users": 5},
    bytes=1024,
    exit_code=70,
    error="boom",
    log_path="/logs/old-1.log",
    pid=4242,
    host="other-host",
)
OLD_2 = RunRecord(
    run_id="old-2",
    state_id="nightly",
    tap="tap-a",
    target="target-b",
    origin=RunOrigin(Trigger.SCHEDULE, schedule="nightly"),
    status=RunStatus.SUCCESS,
    started_at=datetime(2025, 1, 2, 3, 0, tzinfo=UTC),
    ended_at=datetime(2025, 1, 2, 3, 1, tzinfo=UTC),
    exit_code=0,
    log_path="/logs/old-2.log",
    pid=4243,
    host="other-host",
)

Execute = Callable[[str], list[tuple[object, ...]]]


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, Execute]]:
    """A backend's name, the ``system_database`` URL of an empty database, and a way to run
    SQL in it directly."""
    if request.param == "sqlite":
        connection = sqlite3.connect(tmp_path / "system.db", isolation_level=None)

        def execute(sql: str) -> list[tuple[object, ...]]:
            return connection.execute(sql).fetchall()

        yield "sqlite", "sqlite:///system.db", execute
        connection.close()
        return
    import psycopg

    url = request.getfixturevalue("pg_database")
    with psycopg.connect(url, autocommit=True) as pg:

        def run(sql: str) -> list[tuple[object, ...]]:
            cursor = pg.execute(sql)
            return cursor.fetchall() if cursor.description else []

        yield "postgres", url, run


def make_old(backend: tuple[str, str, Execute], version: int) -> None:
    """Create the history of schema ``version`` with its row (and version 1's before it)."""
    name, _, execute = backend
    types = TYPES[name]
    for statement in V1 if version == 1 else V2:
        execute(statement.format(**types))
    execute(
        "CREATE TABLE elt_schema (component {text} PRIMARY KEY, version {int} NOT NULL)".format(
            **types
        )
    )
    execute(f"INSERT INTO elt_schema (component, version) VALUES ('history', {version})")
    execute(V1_ROW.format(**types))
    if version == 2:
        execute(V2_ROW.format(**types))


@pytest.mark.parametrize("version", [1, 2])
def test_an_old_history_is_upgraded_and_its_rows_read_back_intact(
    backend: tuple[str, str, Execute], tmp_path: Path, version: int
) -> None:
    make_old(backend, version)
    _, url, execute = backend
    new = RunRecord(
        run_id="new-1",
        state_id="dev:tap-a-to-target-b",
        tap="tap-a",
        target="target-b",
        started_at=datetime(2025, 2, 1, tzinfo=UTC),
        log_path="/logs/new-1.log",
        overrides={"tap-a": {"start_date": "2024-01-01", "password": "********"}},
        origin=RunOrigin(Trigger.SCHEDULE, schedule="nightly", job="load-all"),
    )
    with open_history(tmp_path, url) as history:
        old = [OLD_1] if version == 1 else [OLD_2, OLD_1]
        assert history.list_runs() == old
        assert [(r.overrides, r.origin.job) for r in old] == [({}, None)] * len(old)
        history.add(new)
        ended = new.ended(RunStatus.SUCCESS, rows={"users": 1}, bytes=None, exit_code=0, error=None)
        history.finish(ended)
        assert history.get("new-1") == ended
        assert history.list_runs() == [ended, *old]
        # the totals of the old rows were filled in when they became columns
        points = {p.run_id: p for p in history.series(OLD_1.state_id)}
        assert (points["old-1"].duration, points["old-1"].rows) == (5.25, 5)
        assert (points["new-1"].duration, points["new-1"].rows) == (ended.duration, 1)
    assert execute("SELECT component, version FROM elt_schema") == [("history", SCHEMA_VERSION)]
    with open_history(tmp_path, url) as again:  # a second opening has nothing to do
        assert again.get("old-1") == OLD_1


def test_overrides_are_stored_as_json_and_read_back(
    backend: tuple[str, str, Execute], tmp_path: Path
) -> None:
    _, url, execute = backend
    overrides = {"tap-a": {"n": 5, "flag": True, "files": ["a", "b"], "auth": {"user": "u"}}}
    run = RunRecord(
        run_id="r1",
        state_id="s",
        tap="tap-a",
        target="target-b",
        started_at=datetime(2025, 2, 1, tzinfo=UTC),
        log_path="/logs/r1.log",
        overrides=overrides,
    )
    with open_history(tmp_path, url) as history:
        history.add(run)
        got = history.get("r1")
    assert got is not None
    assert got.overrides == overrides
    assert got.as_dict()["overrides"] == overrides
    [(stored,)] = execute("SELECT overrides FROM elt_runs")
    assert (json.loads(stored) if isinstance(stored, str) else stored) == overrides
