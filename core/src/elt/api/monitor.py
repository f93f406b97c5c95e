"""What ``Project`` reads to watch runs: the history's pages and aggregates, a run's live
progress and log, and the settings and schedules as a page shows them.

Functions of the loaded project, so ``elt.api.project`` stays a list of one-line methods.
Nothing here changes anything, and nothing returns a secret: settings come with secret
values as ``********``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from elt.errors import UsageError
from elt.history import HistoryStore, RunRecord, RunStatus, follow_log
from elt.project import Project, ScheduleSpec
from elt.run import project_history
from elt.run.invoker import plugin_config
from elt.run.metrics import RunMetrics, StreamProgress
from elt.schedule.cron import next_fire

__all__ = [
    "SettingView",
    "find_run",
    "next_firing",
    "read_log",
    "run_progress",
    "settings",
    "tail_log",
]


@dataclass(frozen=True)
class SettingView:
    """A setting as a person may see it: its value (``********`` when secret), where the
    value comes from (``env TAP_CSV_PORT``, ``plugins.yml``, ``default``…) and whether it is
    secret."""

    name: str
    value: object
    source: str
    secret: bool


def find_run(history: HistoryStore, run_id: str) -> RunRecord:
    """The history's record of ``run_id``; UsageError when it has none."""
    record = history.get(run_id)
    if record is None:
        raise UsageError(f"no run {run_id!r} in the history", hint="`elt runs list` shows the runs")
    return record


def read_log(record: RunRecord) -> str:
    """The whole log of the run ``record``; UsageError when there is none."""
    path = Path(record.log_path)
    if not path.exists():
        raise UsageError(
            f"run {record.run_id} has no log at {path}",
            hint=f"It ended before starting its plugins: {record.summary}"
            if record.error
            else "The log file was removed",
        )
    return path.read_text(encoding="utf-8", errors="replace")


def run_progress(project: Project, run_id: str) -> list[StreamProgress]:
    """Each stream's rows and seconds so far, from the METRIC lines in the run's log: the
    progress of a run going on in another process (a scheduler's, a terminal's). A stream
    of a finished run is done; one still running has run until now."""
    with project_history(project) as history:
        record = find_run(history, run_id)
    clock = _LineClock()
    metrics = RunMetrics(clock)
    path = Path(record.log_path)
    if path.exists():
        with path.open(encoding="utf-8", errors="replace") as log:
            for line in log:
                stamp, _, rest = line.partition(" ")
                source, bar, text = rest.partition(" | ")
                if bar and source in record.blocks:
                    clock.at(stamp)
                    metrics.feed(source, text)
    clock.now()
    ended = record.status is not RunStatus.RUNNING
    return metrics.progress(record.tap, record.target, ended=ended)


def tail_log(project: Project, run_id: str) -> Iterator[str]:
    """The log of ``run_id`` as it is written, in chunks, until the run ends (``elt logs
    --follow``); at once when it has ended."""
    with project_history(project) as history:
        record = find_run(history, run_id)
    path = Path(record.log_path)
    if record.status is not RunStatus.RUNNING:
        if path.exists():
            yield path.read_text(encoding="utf-8", errors="replace")
        return

    def running() -> bool:
        with project_history(project) as history:
            current = history.get(run_id)
        return current is not None and current.status is RunStatus.RUNNING

    yield from follow_log(path, running)


def settings(project: Project, plugin: str, environment: str | None) -> list[SettingView]:
    """Every setting of ``plugin`` that has a value or is declared, secrets redacted."""
    resolved = plugin_config(project, project.plugin(plugin), environment=environment)
    return [SettingView(s.name, s.shown(), s.label, s.secret) for s in resolved.settings]


def next_firing(spec: ScheduleSpec, after: datetime | None = None) -> datetime:
    """When ``spec`` fires next after ``after`` (default now), in its own time zone."""
    from zoneinfo import ZoneInfo

    moment = next_fire(spec.interval, after or datetime.now(UTC), spec.timezone)
    return moment.astimezone(ZoneInfo(spec.timezone))


class _LineClock:
    """The time a log line was written, for :class:`RunMetrics` to time streams by; the
    monotonic clock it expects is read off wall time, the same scale."""

    def __init__(self) -> None:
        self._now = time.time()

    def at(self, stamp: str) -> None:
        # a line that does not start with a time (a plugin broke a line): keep the last time
        with contextlib.suppress(ValueError):
            self._now = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()

    def now(self) -> None:
        self._now = time.time()

    def __call__(self) -> float:
        return self._now
