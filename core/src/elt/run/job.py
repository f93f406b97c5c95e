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
from elt.history import headline
from elt.project import NO_OVERRIDES, Overrides, Project, check_overrides
from elt.run.metrics import Watcher
from elt.run.provision import install_missing
from elt.run.request import RunRequest
from elt.run.retry import run_with_retries
from elt.run.runner import RunResult
from elt.run.units import Executor

__all__ = ["run_tasks"]

_log = logging.getLogger("elt.run")


def run_tasks(
    project: Project,
    requests: Sequence[RunRequest],
    *,
    on_result: Callable[[RunResult], None] | None = None,
    display: Callable[[str, str], AbstractContextManager[Watcher]] | None = None,
    overrides: Overrides = NO_OVERRIDES,
    executors: Callable[[str], Executor | None] | None = None,
) -> list[RunResult]:
    """Run each task's request in order; raise the first failure's error.

    ``overrides`` are the job's ``--config`` values, checked to name a plugin of some task
    before the first one starts (:meth:`RunRequest.of` gave each task its own).
    ``on_result`` is told of each task that succeeded as soon as it has (for progress
    output); the results of all of them are returned when every task succeeded.
    ``display(tap, target)``, if given, makes the progress display each task runs in.
    ``executors(address)`` gives the executor of a request's ``executor`` (None: here, as
    one pipe); without it every task runs here.
    """
    check_overrides(overrides, [name for r in requests for name in r.blocks], scope="the tasks")
    results: list[RunResult] = []
    for number, request in enumerate(requests, start=1):
        # plugins.yml checks that each name is a plugin of its place when it is loaded
        plugins = [project.plugin(name) for name in request.blocks]
        try:
            for installed in install_missing(
                project, plugins, environment=request.environment, install=request.install
            ):
                _log.warning("installed %s into %s", installed.plugin, installed.venv)
            shown = (
                display(request.tap, request.target) if display is not None else nullcontext(None)
            )
            with shown as watcher:
                executor = executors(request.executor) if executors is not None else None
                result = run_with_retries(project, request, watcher=watcher, executor=executor)
        except EltError as error:
            left = len(requests) - number
            if left:
                _log.warning(
                    "task %d of %d (%s) failed (%s); not running the %d after it",
                    number,
                    len(requests),
                    " ".join(request.blocks),
                    headline(str(error)),
                    left,
                )
            raise
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
