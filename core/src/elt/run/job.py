"""Running a list of tasks (a job, or a schedule's one run): each an ``elt run``.

A job's tasks usually depend on each other (load the raw tables, then the table built from
them), so by default each task waits for the one before it and a job stops at the first
task that fails, after that task's own retries: the tasks after it do not run, and the
error raised is that task's. A job's ``depends_on`` says otherwise per task (``[]``: it
waits for nothing); a task whose dependency failed does not run, the others do, and the
first failure is raised at the end. Tasks that wait for nothing still pending run at the
same time when they run on a cluster (an executor other than local); on this machine they
run one after the other, in the job's order, each with its progress display.

Each task is a run of its own in the history, with the job's trigger and schedule. Plugins
that are not installed yet are installed before the task that needs them, as ``elt run``
does. Config overrides (``--config``) go to every task that runs the plugin they name; one
that names a plugin no task runs is refused before the first task starts.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, nullcontext

from elt.errors import EltError
from elt.history import headline
from elt.project import NO_OVERRIDES, Overrides, Project, check_overrides
from elt.run.metrics import Watcher
from elt.run.provision import install_missing
from elt.run.request import LOCAL, RunRequest
from elt.run.retry import run_with_retries
from elt.run.runner import RunResult
from elt.run.units import Executor

__all__ = ["run_tasks"]

_log = logging.getLogger("elt.run")

Display = Callable[[str, str], AbstractContextManager[Watcher]]


def run_tasks(
    project: Project,
    requests: Sequence[RunRequest],
    *,
    waits: Sequence[Collection[int]] | None = None,
    on_result: Callable[[int, RunResult], None] | None = None,
    on_failure: Callable[[int, EltError], None] | None = None,
    display: Display | None = None,
    overrides: Overrides = NO_OVERRIDES,
    executors: Callable[[str], Executor | None] | None = None,
) -> list[RunResult]:
    """Run each task's request when the tasks it waits for succeeded; raise the first
    failure's error once nothing more can run.

    ``waits[i]`` are the indices of the tasks task ``i`` waits for (default: the one before
    it). ``overrides`` are the job's ``--config`` values, checked to name a plugin of some
    task before the first one starts (:meth:`RunRequest.task` gave each task its own).
    ``on_result(number, result)`` is told of each task that succeeded as soon as it has,
    ``on_failure(number, error)`` of each that failed; the results of all of them are
    returned when every task succeeded. ``display(tap, target)``, if given,
    makes the progress display of each task run alone. ``executors(address)`` gives the
    executor of a request's ``executor`` (None: here, as one pipe); without it every task
    runs here.
    """
    check_overrides(overrides, [name for r in requests for name in r.blocks], scope="the tasks")
    if waits is None:
        waits = [frozenset({n - 1} if n else ()) for n in range(len(requests))]
    together = any(r.executor != LOCAL for r in requests) and executors is not None
    results: dict[int, RunResult] = {}
    failures: dict[int, EltError] = {}

    def settle(number: int, run: Callable[[], RunResult]) -> None:
        try:
            results[number] = run()
        except EltError as error:
            failures[number] = error
            _said_skipped(requests, number, _blocked(waits, failures.keys()), error)
            if on_failure is not None:
                on_failure(number, error)
            return
        if on_result is not None:
            on_result(number, results[number])

    if not together:  # here, in the main thread (Ctrl-C stops the run in order)
        for number in _order(waits):
            if number not in _blocked(waits, failures.keys()):
                task = functools.partial(_run_task, project, requests[number], display, executors)
                settle(number, task)
    else:
        with ThreadPoolExecutor(len(requests), "task") as pool:
            running: dict[Future[RunResult], int] = {}
            while True:
                for number in _ready(waits, results, failures, running.values()):
                    future = pool.submit(_run_task, project, requests[number], None, executors)
                    running[future] = number
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    settle(running.pop(future), future.result)
    if failures:
        raise failures[min(failures)]
    return [results[n] for n in range(len(requests))]


def _run_task(
    project: Project,
    request: RunRequest,
    display: Display | None,
    executors: Callable[[str], Executor | None] | None,
) -> RunResult:
    # plugins.yml checks that each name is a plugin of its place when it is loaded
    plugins = [project.plugin(name) for name in request.blocks]
    for installed in install_missing(
        project, plugins, environment=request.environment, install=request.install
    ):
        _log.warning("installed %s into %s", installed.plugin, installed.venv)
    shown = display(request.tap, request.target) if display is not None else nullcontext(None)
    with shown as watcher:
        executor = executors(request.executor) if executors is not None else None
        return run_with_retries(project, request, watcher=watcher, executor=executor)


def _order(waits: Sequence[Collection[int]]) -> list[int]:
    """The tasks in the job's order, each after what it waits for."""
    order: list[int] = []
    while len(order) < len(waits):
        order.append(
            next(n for n in range(len(waits)) if n not in order and set(waits[n]) <= set(order))
        )
    return order


def _ready(
    waits: Sequence[Collection[int]],
    results: Collection[int],
    failures: Collection[int],
    running: Collection[int],
) -> list[int]:
    """The tasks that can start now: not started, and all they wait for succeeded."""
    blocked = _blocked(waits, failures)
    started = set(results) | set(failures) | set(running)
    return [
        n
        for n in range(len(waits))
        if n not in started and n not in blocked and set(waits[n]) <= set(results)
    ]


def _blocked(waits: Sequence[Collection[int]], failed: Collection[int]) -> set[int]:
    """The tasks that wait, directly or not, for a failed one."""
    blocked: set[int] = set()
    grew = True
    while grew:
        grew = False
        for number, needs in enumerate(waits):
            if number not in blocked and any(n in failed or n in blocked for n in needs):
                blocked.add(number)
                grew = True
    return blocked


def _said_skipped(
    requests: Sequence[RunRequest], number: int, blocked: set[int], error: EltError
) -> None:
    if not blocked:
        return
    _log.warning(
        "task %d of %d (%s) failed (%s); not running the %d waiting for it",
        number + 1,
        len(requests),
        " ".join(requests[number].blocks),
        headline(str(error)),
        len(blocked),
    )
