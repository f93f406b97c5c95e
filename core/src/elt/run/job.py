"""Running a list of tasks (a job, or a schedule's one run): each an ``elt run``, in order.

A job's tasks usually depend on each other (load the raw tables, then the table built from
them), so a job stops at the first task that fails, after that task's own retries: the
tasks after it do not run, and the error raised is that task's. Each task is a run of its
own in the history, with the job's trigger and schedule. Plugins that are not installed
yet are installed before the task that needs them, as ``elt run`` does. Config overrides
(``--config``) go to every task that runs the plugin they name; one that names a plugin no
task runs is refused before the first task starts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext

from elt.errors import EltError
from elt.history import Trigger, headline
from elt.project import NO_OVERRIDES, Overrides, Project, blocks_of, check_overrides
from elt.run.metrics import Watcher
from elt.run.provision import install_missing
from elt.run.retry import RetryPolicy, run_with_retries
from elt.run.runner import DEFAULT_STOP_TIMEOUT, RunResult

__all__ = ["run_tasks"]

_log = logging.getLogger("elt.run")


def run_tasks(
    project: Project,
    tasks: Sequence[str],
    *,
    policy: RetryPolicy | None = None,
    environment: str | None = None,
    trigger: Trigger = Trigger.CLI,
    schedule: str | None = None,
    job: str | None = None,
    stop_timeout: float = DEFAULT_STOP_TIMEOUT,
    install: bool = True,
    on_result: Callable[[RunResult], None] | None = None,
    overrides: Overrides = NO_OVERRIDES,
    display: Callable[[str, str], AbstractContextManager[Watcher]] | None = None,
) -> list[RunResult]:
    """Run each ``TAP [MAPPER...] TARGET`` task in order; raise the first failure's error.

    ``on_result`` is told of each task that succeeded as soon as it has (for progress
    output); the results of all of them are returned when every task succeeded.
    ``display(tap, target)``, if given, makes the progress display each task runs in.
    ``job`` names the job whose tasks these are, for the history.
    """
    check_overrides(
        overrides, [name for task in tasks for name in blocks_of(task)], scope="the tasks"
    )
    results: list[RunResult] = []
    for number, task in enumerate(tasks, start=1):
        tap, *mappers, target = blocks_of(task)
        # plugins.yml checks that each name is a plugin of its place when it is loaded
        plugins = [project.plugin(name) for name in (tap, *mappers, target)]
        try:
            for installed in install_missing(
                project, plugins, environment=environment, install=install
            ):
                _log.warning("installed %s into %s", installed.plugin, installed.venv)
            shown = display(tap, target) if display is not None else nullcontext(None)
            with shown as watcher:
                result = run_with_retries(
                    project,
                    tap,
                    target,
                    mappers=mappers,
                    policy=policy or RetryPolicy(),
                    environment=environment,
                    trigger=trigger,
                    schedule=schedule,
                    job=job,
                    stop_timeout=stop_timeout,
                    overrides={p: s for p, s in overrides.items() if p in (tap, *mappers, target)},
                    watcher=watcher,
                )
        except EltError as error:
            left = len(tasks) - number
            if left:
                _log.warning(
                    "task %d of %d (%s) failed (%s); not running the %d after it",
                    number,
                    len(tasks),
                    task,
                    headline(str(error)),
                    left,
                )
            raise
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
