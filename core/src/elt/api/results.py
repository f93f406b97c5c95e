"""What the Python API returns: a run's outcome and a job's, successful or not.

A failed run raises its :class:`~elt.errors.EltError` by default (``check=True``); with
``check=False`` it is returned as a :class:`RunResult` whose ``status``, ``exit_code`` and
``error`` say how it failed, its ``rows`` what the target committed before it did (from the
run's history record), so an orchestrator can report a partial load and decide itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elt.errors import EltError, Interrupted
from elt.history import RunRecord, RunStatus
from elt.run import RunResult as _Finished
from elt.run.metrics import StreamProgress

__all__ = ["JobResult", "RunResult"]


@dataclass(frozen=True)
class RunResult:
    """One run: which, how it ended, and what it moved.

    ``rows`` are per stream, what the target committed when it reports commits (``rows_kind``
    ``committed``; elt's own targets do), else what the tap extracted (``extracted``).
    ``state`` is the bookmark stored at the end and ``states_stored`` how many states the
    target committed (None after a failure: read the bookmark with ``Project.state``).
    ``streams`` and ``units`` are the final progress table and, for a run split into units
    (``executor=``), each unit's outcome. ``overrides`` are the run's ``config``, secrets as
    ``********``; ``bytes`` what the plugins reported moving, if they did.
    """

    run_id: str
    state_id: str
    tap: str
    target: str
    status: RunStatus
    exit_code: int
    rows: Mapping[str, int]
    rows_kind: str | None
    duration: float
    log_path: Path
    mappers: tuple[str, ...] = ()
    state: dict[str, Any] | None = None
    states_stored: int | None = None
    bytes: int | None = None
    overrides: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    streams: tuple[StreamProgress, ...] = ()
    units: tuple[Mapping[str, Any], ...] = ()
    error: EltError | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        """Whether the run succeeded."""
        return self.status is RunStatus.SUCCESS

    @property
    def blocks(self) -> tuple[str, ...]:
        """The plugins in pipe order: tap, mappers, target."""
        return (self.tap, *self.mappers, self.target)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: what ``elt run --format json`` prints, with the status and error."""
        return {
            "run_id": self.run_id,
            "state_id": self.state_id,
            "tap": self.tap,
            "mappers": list(self.mappers),
            "target": self.target,
            "status": self.status.value,
            "exit_code": self.exit_code,
            "rows": dict(self.rows),
            "rows_kind": self.rows_kind,
            "streams": [stream.as_dict() for stream in self.streams],
            "units": [dict(unit) for unit in self.units],
            "overrides": {plugin: dict(values) for plugin, values in self.overrides.items()},
            "bytes": self.bytes,
            "states_stored": self.states_stored,
            "state": self.state,
            "log": str(self.log_path),
            "duration_seconds": round(self.duration, 3),
            "error": None if self.error is None else str(self.error),
        }

    @classmethod
    def finished(cls, done: _Finished) -> RunResult:
        """The API's view of a run that succeeded."""
        return cls(
            run_id=done.run_id,
            state_id=done.state_id,
            tap=done.tap,
            target=done.target,
            status=RunStatus.SUCCESS,
            exit_code=0,
            rows=dict(done.rows),
            rows_kind=done.rows_kind,
            duration=done.duration,
            log_path=done.log_path,
            mappers=done.mappers,
            state=done.state,
            states_stored=done.states_stored,
            bytes=done.bytes,
            overrides=done.overrides,
            streams=done.streams,
            units=tuple(unit.as_dict() for unit in done.units),
        )

    @classmethod
    def failed(cls, record: RunRecord, error: EltError) -> RunResult:
        """The API's view of a run that failed with ``error``, from its history ``record``."""
        status = RunStatus.INTERRUPTED if isinstance(error, Interrupted) else RunStatus.FAILED
        return cls(
            run_id=record.run_id,
            state_id=record.state_id,
            tap=record.tap,
            target=record.target,
            status=status,
            exit_code=error.exit_code,
            rows=dict(record.rows),
            rows_kind=record.rows_kind,
            duration=record.duration or 0.0,
            log_path=Path(record.log_path),
            mappers=record.mappers,
            bytes=record.bytes,
            overrides=record.overrides,
            units=record.units,
            error=error,
        )


@dataclass(frozen=True)
class JobResult:
    """A job's tasks: the result of each that ran (task text -> result, in the job's order),
    and those that did not because a task they wait for failed. ``error`` is the first
    failure's (its exit code is the job's)."""

    name: str
    results: Mapping[str, RunResult]
    skipped: tuple[str, ...] = ()
    error: EltError | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        """Whether every task ran and succeeded."""
        return self.error is None and not self.skipped

    @property
    def status(self) -> RunStatus:
        """``success`` when every task succeeded, else the first failed task's status."""
        if self.ok:
            return RunStatus.SUCCESS
        failed = [r.status for r in self.results.values() if not r.ok]
        return failed[0] if failed else RunStatus.FAILED

    @property
    def exit_code(self) -> int:
        """0, or the exit code of the first task that failed."""
        return 0 if self.error is None else self.error.exit_code

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: each task's result, the skipped tasks, status and error."""
        return {
            "job": self.name,
            "status": self.status.value,
            "exit_code": self.exit_code,
            "tasks": {task: result.as_dict() for task, result in self.results.items()},
            "skipped": list(self.skipped),
            "error": None if self.error is None else str(self.error),
        }
