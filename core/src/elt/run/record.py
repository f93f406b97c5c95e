"""Writing a run into the history: ``running`` when it starts, its outcome when it ends.

:func:`recording` wraps the part of :func:`elt.run.runner.run_pipeline` that runs while the
state id is locked, so every run that got that far has a row, whatever ends it: success,
an error (``failed``, with the one-paragraph message), Ctrl-C or SIGTERM
(``interrupted``). A run refused before it starts (unknown plugin, state id locked by
another run) is the command's error, not a run, and has none.

A history that cannot take the first row stops the run before any plugin starts (the
error says why, exit 75); one that fails at the end only logs a warning, so it never hides
the run's own outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from elt.errors import EltError, Interrupted
from elt.history import HistoryStore, RunRecord, RunStatus, open_history
from elt.project import Project
from elt.run.metrics import RunMetrics
from elt.run.split import UnitSummary

__all__ = ["outcome_of", "project_history", "recording"]

_log = logging.getLogger("elt.run")


def project_history(project: Project) -> HistoryStore:
    """The history store the project's ``system_database`` names (default .elt/system.db)."""
    return open_history(project.root, project.manifest.system_database)


@contextmanager
def recording(
    history: HistoryStore,
    record: RunRecord,
    metrics: RunMetrics,
    units: Sequence[UnitSummary] = (),
) -> Iterator[None]:
    """Record ``record`` as running for the duration of the block, then as it ended, with
    the ``units`` (a list the block fills) of a split run."""
    history.add(record)
    try:
        yield
    except BaseException as error:
        _finish(history, record, metrics, error, units)
        raise
    _finish(history, record, metrics, None, units)


def outcome_of(error: BaseException | None) -> tuple[RunStatus, int, str | None]:
    """The status, exit code and message a run ending with ``error`` is recorded with."""
    if error is None:
        return RunStatus.SUCCESS, 0, None
    if isinstance(error, Interrupted):
        return RunStatus.INTERRUPTED, error.exit_code, str(error)
    if isinstance(error, KeyboardInterrupt):
        return RunStatus.INTERRUPTED, 130, "interrupted"
    if isinstance(error, EltError):
        return RunStatus.FAILED, error.exit_code, str(error)
    return RunStatus.FAILED, 1, f"unexpected {type(error).__name__}: {error}"


def _finish(
    history: HistoryStore,
    record: RunRecord,
    metrics: RunMetrics,
    error: BaseException | None,
    units: Sequence[UnitSummary],
) -> None:
    status, exit_code, message = outcome_of(error)
    ended = record.ended(
        status,
        rows=metrics.rows(record.tap, record.target),
        rows_kind=metrics.rows_kind(record.tap, record.target),
        bytes=metrics.bytes(record.tap, record.target),
        exit_code=exit_code,
        error=message,
        units=[unit.as_dict() for unit in units],
    )
    try:
        history.finish(ended)
    except EltError as failure:
        _log.warning(
            "run %s ended %s but could not be recorded: %s", record.run_id, status, failure
        )
