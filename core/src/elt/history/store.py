"""The run history's tables, one SQL dialect-neutral store over them, and the schema migrations.

A history store keeps one row per run in ``elt_runs``; the SQLite and Postgres backends
differ only in how they connect and run a statement, so the queries live here once
(written with ``:name`` parameters and ``CAST(... AS {json})``-style type slots that each
backend fills in).

The schema is versioned: ``elt_schema(component, version)`` holds the version of the
``history`` tables, and :data:`MIGRATIONS` lists the steps from one version to the next.
Opening a store applies the missing steps in one transaction (serialised between two elt
processes opening it at once); a database written by a newer elt is refused rather than
misread.

A run's row is written as ``running`` before its plugins start and updated when it ends.
An elt that is killed (SIGKILL, a power cut) cannot update it, so reading the history
marks ``running`` rows of this host whose process is gone as ``unknown``. A row of
another host is left as it is: its process cannot be checked from here.
"""

from __future__ import annotations

import abc
import contextlib
import os
import statistics
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from elt.errors import ServiceError
from elt.history.record import (
    PipelineStats,
    RunPoint,
    RunRecord,
    RunStatus,
    iso_time,
    pid_alive,
)

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "HistoryStore", "median_duration"]

COMPONENT = "history"
# each entry takes the schema from its index to the next version (entry 0 creates version 1)
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
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
    ),
    # 2: the schedule a run was started for, so a restarted scheduler knows what already ran
    (
        "ALTER TABLE elt_runs ADD COLUMN schedule {text}",
        "CREATE INDEX elt_runs_by_schedule ON elt_runs (schedule, started_at)",
    ),
    # 3: the run's --config overrides, {plugin: {setting: value}} with secrets redacted
    # (rows of earlier runs had none), and the job a run is a task of
    (
        "ALTER TABLE elt_runs ADD COLUMN overrides {json} NOT NULL DEFAULT '{{}}'",
        "ALTER TABLE elt_runs ADD COLUMN job {text}",
    ),
    # 4: how the rows were counted: committed (by the target) or extracted (by the tap)
    ("ALTER TABLE elt_runs ADD COLUMN rows_kind {text}",),
    # 5: the units of a split run (stream, partition, worker, rows, seconds, status, attempt)
    ("ALTER TABLE elt_runs ADD COLUMN units {json} NOT NULL DEFAULT '[]'",),
    # 6: a run's total rows and seconds as columns (charts and aggregates in SQL, the web
    # page's filters by status and job, a covering index for the per-pipeline summary);
    # earlier rows are filled in by _backfill_totals
    (
        "ALTER TABLE elt_runs ADD COLUMN total_rows {bigint}",
        "ALTER TABLE elt_runs ADD COLUMN seconds {float}",
        "CREATE INDEX elt_runs_by_status ON elt_runs (status, started_at)",
        "CREATE INDEX elt_runs_by_job ON elt_runs (job, started_at)",
        # covers pipelines(): its GROUP BY reads this index alone, not the rows (10x faster
        # at 100,000 runs: bench/ui.py)
        "CREATE INDEX elt_runs_summary ON elt_runs (state_id, status, seconds, started_at)",
    ),
)
_TOTALS_VERSION = 6
SCHEMA_VERSION = len(MIGRATIONS)

_COLUMNS = (
    "run_id, state_id, tap, mappers, target, environment, trigger, attempt, retry_of, schedule, "
    "job, overrides, status, started_at, ended_at, rows, rows_kind, bytes, exit_code, error, "
    "log_path, pid, host, units"
)
_INSERT = f"""INSERT INTO elt_runs ({_COLUMNS}, total_rows, seconds) VALUES (
    :run_id, :state_id, :tap, CAST(:mappers AS {{json}}), :target, :environment, :trigger,
    :attempt, :retry_of, :schedule, :job, CAST(:overrides AS {{json}}), :status,
    CAST(:started_at AS {{time}}), CAST(:ended_at AS {{time}}), CAST(:rows AS {{json}}),
    :rows_kind, :bytes, :exit_code, :error, :log_path, :pid, :host, CAST(:units AS {{json}}),
    :total_rows, :seconds)"""
_FINISH = """UPDATE elt_runs SET status = :status, ended_at = CAST(:ended_at AS {time}),
    rows = CAST(:rows AS {json}), rows_kind = :rows_kind, bytes = :bytes,
    exit_code = :exit_code, error = :error, units = CAST(:units AS {json}),
    total_rows = :total_rows, seconds = :seconds
    WHERE run_id = :run_id"""
_SELECT = f"SELECT {_COLUMNS} FROM elt_runs"
# what PipelineStats says of a pipeline's latest run
_LATEST = ("run_id", "status", "started_at")


class HistoryStore(abc.ABC):
    """Where runs are recorded; ``where`` names it in messages (passwords masked)."""

    where: str
    # the SQL type of each slot in MIGRATIONS and the queries
    types: ClassVar[Mapping[str, str]]

    def add(self, record: RunRecord) -> None:
        """Record a run that starts."""
        self._execute(self._sql(_INSERT), record.columns())

    def finish(self, record: RunRecord) -> None:
        """Record how a run ended (its status, end, counts and error)."""
        self._execute(self._sql(_FINISH), record.columns())

    def get(self, run_id: str) -> RunRecord | None:
        """The run with this id, or None."""
        self.mark_stale()
        rows = self._execute(f"{_SELECT} WHERE run_id = :run_id", {"run_id": run_id})
        return RunRecord.from_columns(rows[0]) if rows else None

    def list_runs(
        self,
        *,
        limit: int | None = 20,
        offset: int = 0,
        state_id: str | None = None,
        status: RunStatus | None = None,
        schedule: str | None = None,
        job: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[RunRecord]:
        """The latest runs first, from the ``offset``-th; only those of the state id, status,
        schedule and job given, started at or after ``since`` and before ``until``."""
        self.mark_stale()
        where, parameters = self._filter(
            state_id=state_id, status=status, schedule=schedule, job=job, since=since, until=until
        )
        query = _SELECT + where + " ORDER BY started_at DESC, run_id DESC"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        if offset and limit is not None:
            query += f" OFFSET {int(offset)}"
        return [RunRecord.from_columns(row) for row in self._execute(query, parameters)]

    def count_runs(
        self,
        *,
        state_id: str | None = None,
        status: RunStatus | None = None,
        schedule: str | None = None,
        job: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """How many runs :meth:`list_runs` with the same filters and no limit would return."""
        self.mark_stale()
        where, parameters = self._filter(
            state_id=state_id, status=status, schedule=schedule, job=job, since=since, until=until
        )
        rows = self._execute(f"SELECT COUNT(*) AS n FROM elt_runs{where}", parameters)
        return int(rows[0]["n"])

    def pipelines(self, *, since: datetime | None = None) -> list[PipelineStats]:
        """Each state id's runs (since ``since``) in one row: counts by outcome, mean
        duration of its successes, and its latest run; the latest started first."""
        self.mark_stale()
        where, parameters = self._filter(since=since)
        latest = (
            "(SELECT r.{column} FROM elt_runs r WHERE r.state_id = g.state_id "
            "ORDER BY r.started_at DESC, r.run_id DESC LIMIT 1)"
        )
        query = (
            "SELECT g.*, "
            + ", ".join(f"{latest.format(column=c)} AS last_{c}" for c in _LATEST)
            + " FROM (SELECT state_id, COUNT(*) AS runs, "
            "SUM(CASE WHEN status = :success THEN 1 ELSE 0 END) AS successes, "
            "SUM(CASE WHEN status IN (:failed, :unknown) THEN 1 ELSE 0 END) AS failures, "
            "SUM(CASE WHEN status = :running THEN 1 ELSE 0 END) AS running, "
            "AVG(CASE WHEN status = :success THEN seconds END) AS mean_duration "
            f"FROM elt_runs{where} GROUP BY state_id) g ORDER BY last_started_at DESC"
        )
        parameters |= {
            "success": RunStatus.SUCCESS.value,
            "failed": RunStatus.FAILED.value,
            "unknown": RunStatus.UNKNOWN.value,
            "running": RunStatus.RUNNING.value,
        }
        return [PipelineStats.from_row(row) for row in self._execute(query, parameters)]

    def series(
        self, state_id: str, *, since: datetime | None = None, limit: int = 500
    ) -> list[RunPoint]:
        """The latest ``limit`` runs of ``state_id`` (since ``since``) as chart points,
        oldest first."""
        self.mark_stale()
        where, parameters = self._filter(state_id=state_id, since=since)
        rows = self._execute(
            "SELECT run_id, started_at, status, seconds, total_rows FROM elt_runs"
            f"{where} ORDER BY started_at DESC, run_id DESC LIMIT {int(limit)}",
            parameters,
        )
        return [RunPoint.from_row(row) for row in reversed(rows)]

    def _filter(
        self,
        *,
        state_id: str | None = None,
        status: RunStatus | None = None,
        schedule: str | None = None,
        job: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """`` WHERE …`` (or nothing) and its parameters, for the filters given."""
        wanted = {
            "state_id": state_id,
            "status": None if status is None else status.value,
            "schedule": schedule,
            "job": job,
        }
        parameters: dict[str, Any] = {c: v for c, v in wanted.items() if v is not None}
        where = [f"{column} = :{column}" for column in parameters]
        if since is not None:
            parameters["since"] = iso_time(since)
            where.append(self._sql("started_at >= CAST(:since AS {time})"))
        if until is not None:
            parameters["until"] = iso_time(until)
            where.append(self._sql("started_at < CAST(:until AS {time})"))
        return (" WHERE " + " AND ".join(where) if where else ""), parameters

    def last_of_schedule(self, schedule: str) -> RunRecord | None:
        """The latest run started for ``schedule`` (any trigger, retries included), or None."""
        self.mark_stale()
        rows = self._execute(
            f"{_SELECT} WHERE schedule = :schedule ORDER BY started_at DESC, run_id DESC LIMIT 1",
            {"schedule": schedule},
        )
        return RunRecord.from_columns(rows[0]) if rows else None

    def durations(self, state_id: str, *, before: datetime, limit: int) -> list[float]:
        """Seconds taken by the last ``limit`` successful runs of ``state_id`` started
        before ``before``, latest first."""
        rows = self._execute(
            self._sql(
                f"{_SELECT} WHERE state_id = :state_id AND status = :status "
                "AND started_at < CAST(:before AS {time}) ORDER BY started_at DESC "
                f"LIMIT {int(limit)}"
            ),
            {
                "state_id": state_id,
                "status": RunStatus.SUCCESS.value,
                "before": before.isoformat(),
            },
        )
        found = (RunRecord.from_columns(row).duration for row in rows)
        return [duration for duration in found if duration is not None]

    def mark_stale(self) -> None:
        """``running`` rows of this host whose elt process is gone become ``unknown``."""
        running = self._execute(
            "SELECT run_id, pid FROM elt_runs WHERE status = :status AND host = :host",
            {"status": RunStatus.RUNNING.value, "host": os.uname().nodename},
        )
        for row in running:
            if not pid_alive(int(row["pid"])):
                self._execute(
                    "UPDATE elt_runs SET status = :unknown WHERE run_id = :run_id "
                    "AND status = :running",
                    {
                        "unknown": RunStatus.UNKNOWN.value,
                        "running": RunStatus.RUNNING.value,
                        "run_id": row["run_id"],
                    },
                )

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection; the store may not be used afterwards."""

    @abc.abstractmethod
    def _execute(self, query: str, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run one statement (``:name`` parameters) in its own transaction; its rows."""

    @abc.abstractmethod
    def _transaction(self) -> contextlib.AbstractContextManager[None]:
        """A transaction no other elt process runs its own migration alongside."""

    def _sql(self, query: str) -> str:
        return query.format(**self.types)

    def _migrate(self) -> None:
        """Bring the tables to :data:`SCHEMA_VERSION`; refuse a newer schema."""
        with self._transaction():
            self._execute(
                self._sql(
                    "CREATE TABLE IF NOT EXISTS elt_schema "
                    "(component {text} PRIMARY KEY, version {int} NOT NULL)"
                ),
                {},
            )
            rows = self._execute(
                "SELECT version FROM elt_schema WHERE component = :component",
                {"component": COMPONENT},
            )
            version = int(rows[0]["version"]) if rows else 0
            if version > SCHEMA_VERSION:
                raise ServiceError(
                    f"the system database holds run history of schema version {version}; "
                    f"this elt knows versions up to {SCHEMA_VERSION}",
                    where=self.where,
                    hint="Upgrade elt, or point system_database in plugins.yml elsewhere",
                )
            for step in MIGRATIONS[version:]:
                for statement in step:
                    self._execute(self._sql(statement), {})
            if version < _TOTALS_VERSION <= SCHEMA_VERSION:
                self._backfill_totals()
            if version == 0:
                self._execute(
                    "INSERT INTO elt_schema (component, version) VALUES (:component, :version)",
                    {"component": COMPONENT, "version": SCHEMA_VERSION},
                )
            elif version < SCHEMA_VERSION:
                self._execute(
                    "UPDATE elt_schema SET version = :version WHERE component = :component",
                    {"component": COMPONENT, "version": SCHEMA_VERSION},
                )

    def _backfill_totals(self) -> None:
        """Fill ``total_rows`` and ``seconds`` of the runs recorded before they were columns."""
        for row in self._execute(f"{_SELECT} WHERE ended_at IS NOT NULL", {}):
            columns = RunRecord.from_columns(row).columns()
            self._execute(
                "UPDATE elt_runs SET total_rows = :total_rows, seconds = :seconds "
                "WHERE run_id = :run_id",
                {k: columns[k] for k in ("run_id", "total_rows", "seconds")},
            )

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def median_duration(durations: Sequence[float]) -> float | None:
    """The median of some run durations, or None when there are none."""
    return statistics.median(durations) if durations else None
