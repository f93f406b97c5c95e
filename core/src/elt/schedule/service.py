"""``elt scheduler`` as a library call: the real clock, real child processes, the history.

Each firing starts ``<command> --project ROOT [-e ENV] schedule run NAME --trigger
schedule`` in a session of its own (a Ctrl-C in the terminal reaches the scheduler alone,
which then stops its children in order), with its stdout joined to the scheduler's stderr.
The child does the rest like any ``elt schedule run``: installs, retries, history rows with
trigger ``schedule``, alerts.

Decisions go to stderr (through the ``elt`` logger) and, with times, to
``.elt/logs/scheduler.log``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from elt.project import Project, ScheduleSpec, blocks_of
from elt.run import LOG_DIR, project_history
from elt.run.signals import forward_signals
from elt.schedule.scheduler import Clock, Scheduler, SystemClock
from elt.state.ids import default_state_id

__all__ = ["SCHEDULER_LOG", "ScheduleLauncher", "run_scheduler", "schedule_state_ids"]

SCHEDULER_LOG = "scheduler.log"
_log = logging.getLogger("elt.schedule")


@dataclass(frozen=True)
class ScheduleLauncher:
    """Starts ``elt schedule run NAME`` for a schedule; ``command`` is how to call elt,
    ``trigger`` what the history says started it (``schedule``; ``ui`` for Run now)."""

    command: Sequence[str]
    root: Path
    environment: str | None = None
    log_level: str = "warning"
    executor: str | None = None
    trigger: str = "schedule"

    def argv(self, spec: ScheduleSpec) -> list[str]:
        environment = spec.env or self.environment
        return [
            *self.command,
            "--project",
            str(self.root),
            "--log-level",
            self.log_level,
            *(["--environment", environment] if environment else []),
            "schedule",
            "run",
            spec.name,
            "--trigger",
            self.trigger,
            # one line per stream every few seconds from several schedules at once would
            # bury the scheduler's own decisions; each task's table still ends its run
            "--progress-interval",
            "0",
            *(["--executor", self.executor] if self.executor else []),
        ]

    def __call__(self, spec: ScheduleSpec) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.argv(spec), stdin=subprocess.DEVNULL, stdout=2, start_new_session=True
        )


def schedule_state_ids(
    project: Project, spec: ScheduleSpec, environment: str | None
) -> frozenset[str]:
    """The state ids the runs of a schedule lock (default ids: a task has no --state-id)."""
    active = project.environment(spec.env or environment)
    if spec.job is not None:
        job = project.manifest.job(spec.job)
        tasks = job.tasks if job is not None else []
    else:
        tasks = [spec.run] if spec.run is not None else []
    ids = set()
    for task in tasks:
        blocks = blocks_of(task)
        ids.add(default_state_id(active.name if active else None, blocks[0], blocks[-1]))
    return frozenset(ids)


def run_scheduler(
    project: Project,
    *,
    command: Sequence[str],
    environment: str | None = None,
    log_level: str = "warning",
    clock: Clock | None = None,
    stop_timeout: float = 60.0,
    executor: str | None = None,
) -> None:
    """Run the project's schedules until SIGTERM or SIGINT; see :mod:`elt.schedule`.

    ``executor`` (``--executor``) is handed to every run; without it each run finds its
    own (``ELT_EXECUTOR``, plugins.yml)."""
    schedules = project.manifest.schedules
    with project_history(project) as history:
        last = {
            spec.name: (record.started_at if record is not None else None)
            for spec in schedules
            for record in [history.last_of_schedule(spec.name)]
        }
    scheduler = Scheduler(
        schedules,
        launch=ScheduleLauncher(command, project.root, environment, log_level, executor),
        last_started=last.__getitem__,
        clock=clock or SystemClock(),
        state_ids={s.name: schedule_state_ids(project, s, environment) for s in schedules},
        stop_timeout=stop_timeout,
    )
    with _decisions_logged(project.root / LOG_DIR / SCHEDULER_LOG):
        if not schedules:
            _log.warning("no schedules in plugins.yml; waiting for SIGTERM all the same")
        _log.info("started for %s (pid %d)", project.root, os.getpid())
        with forward_signals(scheduler.stop):
            scheduler.run()


@contextlib.contextmanager
def _decisions_logged(path: Path) -> Iterator[None]:
    """Log ``elt.schedule`` at info or finer to stderr and, with times, to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("elt.schedule")
    level = logger.level
    if not logger.isEnabledFor(logging.INFO):
        logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        handler.close()
