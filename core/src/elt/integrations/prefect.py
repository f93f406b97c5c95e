"""elt in Prefect: a run as a Prefect task, a job as a Prefect flow, schedules as a
deployment's (``pip install 'elt-core[prefect]'``; Prefect is imported here only).

:data:`elt_run_task` runs one elt run (``Project.run_task``) and returns its
``RunResult.as_dict()``. It leaves a table artifact of rows per stream, keyed by the state
id (``elt-dev-tap-csv-to-target-postgres``: one version per run in Prefect's UI), whose
description names the run id, the state id and the status. A failed run's artifact holds
what the target committed before it failed; the task then raises the run's
:class:`~elt.errors.EltError`, whose one paragraph becomes the task run's failure message.
Progress goes to the task run's log every ``progress_interval`` seconds.

Retries are Prefect's, never elt's too (they would multiply): each attempt is a task run in
Prefect and a run of its own in elt's history, continuing from the bookmark the failed one
committed. :func:`retry_options` maps elt's ``retries`` and ``retry_delay`` onto Prefect's
options: the pause before retry *n* (0 first) is ``retry_delay * 2**n`` capped at 10
minutes, as in elt, and only what a retry can fix (``EltError.retriable``: a service that
was unreachable, a plugin that exited 75) is retried — bad configuration (78), bad data (65)
or a plugin's own error (70) fails the task at once, through Prefect's
``retry_condition_fn``. Prefect waits each whole pause where elt waits half of it plus a
random half: give ``retry_jitter_factor`` to ``with_options`` for Prefect's jitter.

:func:`elt_job_flow` builds a flow of a job of plugins.yml: one task per job task, named
after it, waiting for the tasks the job says it waits for (Prefect's ``wait_for``); a task
whose dependency failed does not run (Prefect shows it ``NotReady``) and the flow fails with
the first failed task's error. Tasks that wait for nothing run at the same time as far as
the flow's task runner allows (Prefect's default: threads).

:func:`prefect_schedules` turns the schedules of plugins.yml that run a job into Prefect
deployment schedules (cron and time zone), each passing its name as the flow's ``schedule``
parameter, so that the schedule's ``env``, ``retries`` and ``retry_delay`` apply and elt's
history names it. Prefect's scheduler then owns the firings, with its own rules for
daylight saving time and for firings missed while nothing ran (``catch_up`` is not applied:
a warning says so).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from prefect import Flow, Task, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import wait
from prefect.schedules import Cron

from elt import Project, RunProgress, RunResult
from elt.errors import ConfigError, EltError, UsageError

__all__ = [
    "artifact_key",
    "elt_job_flow",
    "elt_run_task",
    "prefect_schedules",
    "retriable",
    "retry_options",
]

MAX_RETRY_DELAY = 600.0
"""elt's cap on the pause before a retry, in seconds."""
_MAX_DELAYS = 50  # Prefect takes at most 50 delays, and repeats the last one after them

_log = logging.getLogger("elt.integrations.prefect")


def retriable(task: object, task_run: object, state: Any) -> bool:
    """Prefect's ``retry_condition_fn`` of elt's tasks: retry only what elt would retry, an
    :class:`~elt.errors.EltError` a retry may fix. Anything else escaping is a bug, final
    in elt too."""
    error = state.data
    return isinstance(error, EltError) and error.retriable


def retry_options(retries: int, retry_delay: float = 10.0) -> dict[str, Any]:
    """Prefect task options for elt's ``retries`` and ``retry_delay`` (seconds before the
    first retry, doubled for each next one, at most 10 minutes):

    >>> elt_run_task.with_options(**retry_options(3, 30))   # doctest: +SKIP
    """
    if retries < 0 or retry_delay < 0:
        raise UsageError(
            f"retries ({retries}) and retry_delay ({retry_delay}) cannot be negative",
            hint="give 0 for no retries, or no pause",
        )
    delays = [min(MAX_RETRY_DELAY, retry_delay * 2.0**n) for n in range(min(retries, _MAX_DELAYS))]
    return {"retries": retries, "retry_delay_seconds": delays, "retry_condition_fn": retriable}


def artifact_key(state_id: str) -> str:
    """The key of a state id's table artifact (Prefect allows lowercase letters, digits and
    dashes): each run of the same pipeline is a new version of one artifact."""
    return "elt-" + re.sub(r"[^a-z0-9]+", "-", state_id.lower()).strip("-")


def _run(
    run: str,
    project_dir: str | os.PathLike[str] | None = None,
    environment: str | None = None,
    *,
    config: Mapping[str, Any] | None = None,
    state_id: str | None = None,
    full_refresh: bool = False,
    executor: str | None = None,
    install: bool = True,
    job: str | None = None,
    schedule: str | None = None,
    progress_interval: float = 30.0,
) -> dict[str, Any]:
    """One elt run, ``run`` being its blocks, "TAP [MAPPER...] TARGET", in the project at
    ``project_dir`` (None: ``$ELT_PROJECT_ROOT``, else found upwards from the working
    directory); the other arguments are ``Project.run``'s. Returns the run's
    ``RunResult.as_dict()``; raises its EltError when it fails."""
    logger = get_run_logger()
    project = Project.open(project_dir, environment=environment)
    result = project.run_task(
        run,
        config=config,
        state_id=state_id,
        full_refresh=full_refresh,
        executor=executor,
        install=install,
        job=job,
        schedule=schedule,
        progress=_progress_log(logger) if progress_interval > 0 else None,
        progress_interval=progress_interval,
        check=False,
    )
    _report(result)
    if result.error is not None:
        raise result.error
    logger.info("elt run %s: %s", result.run_id, _rows_text(result))
    return result.as_dict()


elt_run_task: Any = Task(
    _run,
    name="elt run",
    task_run_name="{run}",
    retries=0,
    retry_condition_fn=retriable,
    # a run moves data: never answer it from a cache of an earlier call with the same inputs
    cache_policy=NO_CACHE,
)
"""A Prefect task running one elt run (see the module's docstring); ``with_options(
**retry_options(...))`` gives it elt's retries."""


def _progress_log(logger: Any) -> Callable[[RunProgress], None]:
    def log(progress: RunProgress) -> None:
        if progress.done:  # the end is the artifact's and the result's to tell
            return
        streams = ", ".join(f"{s.stream} {s.rows}" for s in progress.streams)
        logger.info(
            "%s -> %s: %d rows in %.0f s (%s)",
            progress.tap,
            progress.target,
            progress.rows,
            progress.elapsed,
            streams or "no stream yet",
        )

    return log


def _rows_text(result: RunResult) -> str:
    return f"{sum(result.rows.values())} rows {result.rows_kind or ''}".rstrip()


def _report(result: RunResult) -> None:
    """The run's table artifact: rows per stream, and which run it was."""
    create_table_artifact(
        table=[{"stream": stream, "rows": rows} for stream, rows in result.rows.items()],
        key=artifact_key(result.state_id),
        description=(
            f"elt run `{result.run_id}`, state id `{result.state_id}`: "
            f"{result.status.value}, {_rows_text(result)}"
        ),
    )


def elt_job_flow(
    project: Project | str | os.PathLike[str],
    job: str,
    *,
    retries: int | None = None,
    retry_delay: float | None = None,
    name: str | None = None,
) -> Any:
    """A Prefect flow running the job ``job`` of ``project`` (a Project, or its directory),
    named ``elt-JOB`` unless ``name`` says otherwise; see the module's docstring.

    The flow's parameters: ``environment`` (default: the schedule's ``env`` when it runs for
    one, else the Project's, else ``$ELT_ENVIRONMENT`` or the default environment when it
    runs), ``schedule`` (the elt schedule it runs for: its ``env``, ``retries`` and
    ``retry_delay`` apply, and the history names it), ``retries`` and ``retry_delay``
    (default: the arguments given here, else the schedule's, else no retries). It returns
    each task's result dict, by task.

    >>> nightly = elt_job_flow("/srv/elt", "nightly", retries=2)   # doctest: +SKIP
    >>> nightly()                                                 # doctest: +SKIP
    """
    opened = project if isinstance(project, Project) else Project.open(project)
    spec = opened.job(job)
    root = str(opened.root)
    tasks = list(spec.tasks)
    waits = spec.waits()
    order = _in_dependency_order(waits)
    project_environment = opened.environment if isinstance(project, Project) else None
    default_retries, default_delay = retries, retry_delay

    def run_job(
        environment: str | None = None,
        schedule: str | None = None,
        retries: int | None = default_retries,
        retry_delay: float | None = default_delay,
    ) -> dict[str, Any]:
        logger = get_run_logger()
        if schedule is not None:
            environment, retries, retry_delay = _schedule_options(
                root,
                job,
                schedule,
                environment=environment,
                retries=retries,
                retry_delay=retry_delay,
            )
        environment = environment or project_environment
        options = retry_options(retries or 0, 10.0 if retry_delay is None else retry_delay)
        futures: dict[int, Any] = {}
        for number in order:
            text = tasks[number]
            futures[number] = elt_run_task.with_options(
                name=text, task_run_name=text, **options
            ).submit(
                text,
                root,
                environment,
                job=job,
                schedule=schedule,
                wait_for=[futures[n] for n in sorted(waits[number])],
            )
        wait(list(futures.values()))
        results: dict[str, Any] = {}
        failed: list[int] = []
        for number, text in enumerate(tasks):
            state = futures[number].state
            if state.is_completed():
                results[text] = futures[number].result()
            elif state.is_failed():
                failed.append(number)
            else:
                logger.warning('not run: "%s" waits for a task that failed', text)
        if failed:
            futures[failed[0]].result()  # raises that task's error: the flow run fails with it
        return results

    return Flow(
        run_job,
        name=name or f"elt-{job}",
        description=f'elt job "{job}" of {root}: ' + "; ".join(tasks),
    )


def _in_dependency_order(waits: list[frozenset[int]]) -> list[int]:
    """The tasks' indices, each after those it waits for (a job's waits have no cycle)."""
    order: list[int] = []
    while len(order) < len(waits):
        order += [n for n, w in enumerate(waits) if n not in order and w <= set(order)]
    return order


def _schedule_options(
    root: str,
    job: str,
    schedule: str,
    *,
    environment: str | None,
    retries: int | None,
    retry_delay: float | None,
) -> tuple[str | None, int | None, float | None]:
    """The environment and retries of a run for ``schedule``: what the flow run was given,
    else the schedule's."""
    spec = Project.open(root, environment=environment).schedule(schedule)
    if spec.job != job:
        raise UsageError(
            f'the schedule "{schedule}" runs {spec.job or spec.run!r}, not the job "{job}"',
            hint="name a schedule of this job, or none",
        )
    return (
        environment or spec.env,
        retries if retries is not None else spec.retries,
        retry_delay if retry_delay is not None else spec.retry_delay,
    )


def prefect_schedules(project: Project | str | os.PathLike[str], job: str) -> list[Any]:
    """Prefect deployment schedules (``prefect.schedules.Cron``) of the elt schedules that
    run ``job``: their cron expression and time zone, and their name as the flow's
    ``schedule`` parameter and the schedule's slug.

    >>> nightly.serve(name="nightly", schedules=prefect_schedules(".", "nightly"))  # doctest: +SKIP

    A cron expression with a seconds field other than 0 is refused (ConfigError): Prefect
    schedules to the minute.
    """
    opened = project if isinstance(project, Project) else Project.open(project)
    opened.job(job)  # an unknown job is an error, not an empty list
    chosen = [s for s in opened.schedules if s.job == job]
    if chosen:
        _log.warning(
            "catch_up of %s is not applied under Prefect: Prefect's scheduler decides what "
            "happens to firings missed while nothing ran",
            ", ".join(f'"{s.name}"' for s in chosen),
        )
    return [
        Cron(
            _minute_cron(s.name, s.interval),
            timezone=s.timezone,
            parameters={"schedule": s.name},
            slug=s.name,
        )
        for s in chosen
    ]


def _minute_cron(schedule: str, interval: str) -> str:
    fields = interval.split()
    if len(fields) < 6:
        return interval
    if fields[5] not in ("0", "00"):
        raise ConfigError(
            f'the interval "{interval}" of schedule "{schedule}" fires at a second other '
            "than 0, and Prefect schedules to the minute",
            hint="drop the seconds field, or run that schedule with elt scheduler",
        )
    return " ".join(fields[:5])
