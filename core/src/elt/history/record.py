"""One run as the history keeps it: what ran, why, when, how it ended, what it moved."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "PipelineStats",
    "RunOrigin",
    "RunPoint",
    "RunRecord",
    "RunStatus",
    "Trigger",
    "headline",
    "iso_time",
    "now",
    "pid_alive",
]

_ERROR_CHARS = 4000
# as_dict's fields a history row does not keep (they follow from the others), and its
# JSON-valued ones
_NOT_COLUMNS = frozenset({"blocks", "duration_seconds"})
_JSON_COLUMNS = ("mappers", "overrides", "rows", "units")


class RunStatus(StrEnum):
    """How a run stands. ``unknown``: it was ``running`` but its elt process is gone (killed)."""

    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    UNKNOWN = "unknown"


class Trigger(StrEnum):
    """What started a run: a person or script (``cli``), ``elt scheduler`` (``schedule``),
    a retry of a failed attempt, or Run now on ``elt ui`` (``ui``)."""

    CLI = "cli"
    SCHEDULE = "schedule"
    RETRY = "retry"
    UI = "ui"


@dataclass(frozen=True)
class RunOrigin:
    """Why a run happens: its trigger, which attempt it is (1 first), the first attempt's
    run id when it is a retry, the schedule it runs for (by ``elt scheduler`` or
    ``elt schedule run``) and the job it is a task of, if any."""

    trigger: Trigger = Trigger.CLI
    attempt: int = 1
    retry_of: str | None = None
    schedule: str | None = None
    job: str | None = None


@dataclass(frozen=True)
class RunRecord:
    """A row of the run history.

    ``rows`` maps stream names to the records the plugins counted and ``rows_kind`` says
    how: ``committed`` by the target, or only ``extracted`` by the tap (see
    :mod:`elt.run.metrics`; None when nothing was counted); ``bytes`` is None when no
    plugin reported one. ``overrides`` are the run's ``--config`` values (plugin -> setting
    -> value), secrets already redacted by whoever made the record: the history never holds
    one. ``error`` is the
    whole one-paragraph message a user saw (the first line is the summary); ``pid`` and
    ``host`` let a reader tell a run that is still going from one whose elt was killed.
    """

    run_id: str
    state_id: str
    tap: str
    target: str
    started_at: datetime
    log_path: str
    mappers: tuple[str, ...] = ()
    environment: str | None = None
    origin: RunOrigin = field(default_factory=RunOrigin)
    overrides: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    status: RunStatus = RunStatus.RUNNING
    ended_at: datetime | None = None
    rows: Mapping[str, int] = field(default_factory=dict)
    rows_kind: str | None = None
    bytes: int | None = None
    exit_code: int | None = None
    error: str | None = None
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=lambda: os.uname().nodename)
    units: tuple[Mapping[str, Any], ...] = ()

    @property
    def blocks(self) -> tuple[str, ...]:
        """The plugins in pipeline order: tap, mappers, target."""
        return (self.tap, *self.mappers, self.target)

    @property
    def duration(self) -> float | None:
        """Seconds from start to end; None while it runs."""
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    @property
    def summary(self) -> str:
        """What failed, in one line (see :func:`headline`)."""
        return headline(self.error or "")

    @property
    def total_rows(self) -> int | None:
        return sum(self.rows.values()) if self.rows else None

    def ended(
        self,
        status: RunStatus,
        *,
        rows: Mapping[str, int],
        rows_kind: str | None = None,
        bytes: int | None,
        exit_code: int,
        error: str | None,
        units: Sequence[Mapping[str, Any]] = (),
    ) -> RunRecord:
        """This run, finished now; ``units``: those of a split run."""
        if error is not None and len(error) > _ERROR_CHARS:
            error = error[:_ERROR_CHARS] + "…"
        return replace(
            self,
            status=status,
            ended_at=now(),
            rows=dict(rows),
            rows_kind=rows_kind,
            bytes=bytes,
            exit_code=exit_code,
            error=error,
            units=tuple(units),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able, for ``--format json`` and alert payloads."""
        duration = self.duration
        return {
            "run_id": self.run_id,
            "state_id": self.state_id,
            "blocks": list(self.blocks),
            "tap": self.tap,
            "mappers": list(self.mappers),
            "target": self.target,
            "environment": self.environment,
            "trigger": self.origin.trigger.value,
            "attempt": self.origin.attempt,
            "retry_of": self.origin.retry_of,
            "schedule": self.origin.schedule,
            "job": self.origin.job,
            "overrides": _plain(self.overrides),
            "status": self.status.value,
            "started_at": iso_time(self.started_at),
            "ended_at": iso_time(self.ended_at) if self.ended_at else None,
            "duration_seconds": None if duration is None else round(duration, 3),
            "rows": dict(self.rows),
            "rows_kind": self.rows_kind,
            "bytes": self.bytes,
            "exit_code": self.exit_code,
            "error": self.error,
            "log_path": self.log_path,
            "pid": self.pid,
            "host": self.host,
            "units": [dict(unit) for unit in self.units],
        }

    def columns(self) -> dict[str, Any]:
        """The record as the values of a history row (JSON as text, times as ISO text): the
        fields of :meth:`as_dict` the table has, the structured ones as JSON text."""
        row = {k: v for k, v in self.as_dict().items() if k not in _NOT_COLUMNS}
        for name in _JSON_COLUMNS:
            row[name] = json.dumps(row[name])
        # kept in columns of their own, for charts and aggregates in SQL
        row["total_rows"] = self.total_rows
        row["seconds"] = self.duration
        return row

    @classmethod
    def from_columns(cls, row: Mapping[str, Any]) -> RunRecord:
        """The inverse of :meth:`columns`; JSON and times may also come decoded (Postgres)."""
        return cls(
            run_id=row["run_id"],
            state_id=row["state_id"],
            tap=row["tap"],
            mappers=tuple(_json(row["mappers"])),
            target=row["target"],
            environment=row["environment"],
            origin=RunOrigin(
                Trigger(row["trigger"]),
                int(row["attempt"]),
                row["retry_of"],
                row["schedule"],
                row["job"],
            ),
            overrides=_json(row["overrides"]),
            status=RunStatus(row["status"]),
            started_at=_time(row["started_at"]),
            ended_at=None if row["ended_at"] is None else _time(row["ended_at"]),
            rows={str(k): int(v) for k, v in _json(row["rows"]).items()},
            rows_kind=row["rows_kind"],
            bytes=row["bytes"],
            exit_code=row["exit_code"],
            error=row["error"],
            log_path=row["log_path"],
            pid=int(row["pid"]),
            host=row["host"],
            units=tuple(_json(row["units"])),
        )


@dataclass(frozen=True)
class PipelineStats:
    """One pipeline (state id) over a span of its runs: how many, how they ended, the mean
    duration of its successes, and its latest run."""

    state_id: str
    runs: int
    successes: int
    failures: int
    running: int
    mean_duration: float | None
    last_run_id: str
    last_status: RunStatus
    last_started_at: datetime

    @property
    def success_rate(self) -> float | None:
        """Successes per finished run (0..1); None before one finished."""
        finished = self.runs - self.running
        return self.successes / finished if finished else None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PipelineStats:
        mean = row["mean_duration"]
        return cls(
            state_id=row["state_id"],
            runs=int(row["runs"]),
            successes=int(row["successes"] or 0),
            failures=int(row["failures"] or 0),
            running=int(row["running"] or 0),
            mean_duration=None if mean is None else float(mean),
            last_run_id=row["last_run_id"],
            last_status=RunStatus(row["last_status"]),
            last_started_at=_time(row["last_started_at"]),
        )


@dataclass(frozen=True)
class RunPoint:
    """A run as a point of a chart: when it started, how it ended, its seconds and rows
    (None while it runs, or when no plugin counted any)."""

    run_id: str
    started_at: datetime
    status: RunStatus
    duration: float | None
    rows: int | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RunPoint:
        seconds, rows = row["seconds"], row["total_rows"]
        return cls(
            run_id=row["run_id"],
            started_at=_time(row["started_at"]),
            status=RunStatus(row["status"]),
            duration=None if seconds is None else float(seconds),
            rows=None if rows is None else int(rows),
        )


def headline(message: str) -> str:
    """The first line of an error message, without a last sentence that only introduces the
    lines after it (``... exited with code 3. The last lines of its stderr:``)."""
    first = message.partition("\n")[0]
    if first.endswith(":") and ". " in first:
        first = first.rpartition(". ")[0]
    return first


def now() -> datetime:
    """The current time in UTC to the millisecond: what the history keeps, read back equal."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine (a zombie counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def iso_time(moment: datetime) -> str:
    """``moment`` as the history writes times: UTC, milliseconds, ``Z`` (sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _time(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _plain(overrides: Mapping[str, Mapping[str, object]]) -> dict[str, dict[str, object]]:
    return {plugin: dict(settings) for plugin, settings in overrides.items()}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
