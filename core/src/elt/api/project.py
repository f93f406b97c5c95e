"""``elt.Project``: a project, from Python — what the CLI, the web page and the orchestrator
integrations call.

Everything a command does is a method here, taking Python values and returning results
(:mod:`elt.api.results`); nothing prints (logs go to the ``elt`` logger, silent unless the
caller configures logging), and every failure is an :class:`~elt.errors.EltError` with
its exit code. A run is built as a :class:`~elt.run.RunRequest` (:meth:`Project.request`)
and carried out by :meth:`Project.execute`, the one path every run takes, the CLI's too.

>>> from elt import Project
>>> project = Project.open("path/to/project", environment="prod")      # doctest: +SKIP
>>> result = project.run("tap-csv", "target-postgres", retries=2)       # doctest: +SKIP
>>> result.run_id, result.status, result.rows                           # doctest: +SKIP
('20260101T030000Z-1a2b3c', <RunStatus.SUCCESS: 'success'>, {'orders': 1200})
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

from elt.api.executors import executor_for
from elt.api.monitor import (
    SettingView,
    find_run,
    next_firing,
    read_log,
    run_progress,
    settings,
    tail_log,
)
from elt.api.progress import ProgressCallback, ProgressReporter
from elt.api.results import JobResult, RunResult
from elt.api.state import States
from elt.errors import EltError, UsageError
from elt.history import HistoryStore, PipelineStats, RunPoint, RunRecord, RunStatus, Trigger
from elt.project import (
    NO_OVERRIDES,
    JobSpec,
    Overrides,
    Plugin,
    PluginKind,
    ScheduleSpec,
    blocks_of,
    find_project_root,
    load_project,
    typed_overrides,
)
from elt.project import Project as LoadedProject
from elt.protocol import explain_selection
from elt.run import (
    DEFAULT_STOP_TIMEOUT,
    RetryPolicy,
    RunRequest,
    executor_address,
    install_missing,
    project_history,
    run_tasks,
    run_with_retries,
)
from elt.run.discovery import discover_catalog
from elt.run.job import Display
from elt.run.metrics import StreamProgress, Watcher
from elt.schedule.service import ScheduleLauncher
from elt.state import default_state_id

__all__ = ["ENVIRONMENT_VARIABLE", "PROJECT_VARIABLE", "Project"]

PROJECT_VARIABLE = "ELT_PROJECT_ROOT"
ENVIRONMENT_VARIABLE = "ELT_ENVIRONMENT"
DEFAULT_PROGRESS_INTERVAL = 1.0

_log = logging.getLogger("elt.api")


class Project:
    """An elt project (a directory with plugins.yml) in one environment.

    Open one with :meth:`open`. Methods read plugins.yml as it was when the project was
    opened; open it again to see a change.
    """

    def __init__(self, loaded: LoadedProject, environment: str | None = None) -> None:
        active = loaded.environment(environment)  # an unknown name is a ProjectError here
        self._loaded = loaded
        self._environment = active.name if active is not None else None

    @classmethod
    def open(
        cls, path: str | os.PathLike[str] | None = None, *, environment: str | None = None
    ) -> Project:
        """The project at ``path`` (a directory or its plugins.yml); None: ``$ELT_PROJECT_ROOT``,
        else the nearest directory upwards from the working one that holds a plugins.yml.

        ``environment`` None: ``$ELT_ENVIRONMENT``, else the project's default_environment.
        Raises ProjectError when there is no project or plugins.yml is invalid.

        >>> Project.open("my-project", environment="prod")     # doctest: +SKIP
        """
        given = path if path is not None else os.environ.get(PROJECT_VARIABLE) or None
        root = find_project_root(Path(given) if given is not None else None)
        if environment is None:
            environment = os.environ.get(ENVIRONMENT_VARIABLE) or None
        return cls(load_project(root), environment)

    @property
    def root(self) -> Path:
        """The project directory."""
        return self._loaded.root

    @property
    def environment(self) -> str | None:
        """The active environment's name; None when the project runs in none."""
        return self._environment

    @property
    def loaded(self) -> LoadedProject:
        """The validated project model the run library works on."""
        return self._loaded

    @property
    def plugins(self) -> list[Plugin]:
        """Every plugin of plugins.yml (taps, targets, mappers), inheritance resolved."""
        return list(self._loaded.plugins)

    @property
    def jobs(self) -> list[JobSpec]:
        """The jobs of plugins.yml."""
        return list(self._loaded.manifest.jobs)

    @property
    def schedules(self) -> list[ScheduleSpec]:
        """The schedules of plugins.yml."""
        return list(self._loaded.manifest.schedules)

    @property
    def state(self) -> States:
        """The state bookmarks: ``get``, ``set``, ``clear``, ``list``, ``copy``, ``export``,
        ``import_``."""
        return States(self._loaded)

    def plugin(self, name: str) -> Plugin:
        """The plugin ``name``; ProjectError naming the close ones when there is none."""
        return self._loaded.plugin(name)

    def job(self, name: str) -> JobSpec:
        """The job ``name``; UsageError listing the jobs when there is none."""
        spec = self._loaded.manifest.job(name)
        if spec is None:
            names = [j.name for j in self._loaded.manifest.jobs]
            raise UsageError(
                f'no job named "{name}"',
                hint=f"Known jobs: {', '.join(names)}" if names else "Add one: elt job add",
            )
        return spec

    def state_id(self, tap: str, target: str) -> str:
        """The state id a run of ``tap`` into ``target`` keeps its bookmark under by default."""
        return default_state_id(self._environment, tap, target)

    def streams(self, tap: str, *, refresh: bool = False) -> list[str]:
        """The streams ``tap``'s selection rules select, in catalog order: runs the tap's
        discovery, or reads the catalog cached by the last one with the same config."""
        plugin = self._loaded.plugin(tap)
        catalog, _ = discover_catalog(
            self._loaded, plugin, environment=self._environment, refresh=refresh
        )
        lines = explain_selection(catalog, plugin.select)
        return [line.stream for line in lines if not line.path and line.status == "selected"]

    # --- runs -----------------------------------------------------------------------------

    def run(
        self,
        tap: str,
        target: str,
        *,
        mappers: Sequence[str] = (),
        config: Mapping[str, object] | None = None,
        state_id: str | None = None,
        full_refresh: bool = False,
        retries: int = 0,
        retry_delay: float = 10.0,
        executor: str | None = None,
        install: bool = True,
        force: bool = False,
        record_lines: bool = False,
        stop_timeout: float = DEFAULT_STOP_TIMEOUT,
        progress: ProgressCallback | None = None,
        progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
        check: bool = True,
        job: str | None = None,
        schedule: str | None = None,
    ) -> RunResult:
        """Extract with ``tap`` and load with ``target`` (through ``mappers``), continuing
        from the last bookmark: ``elt run``.

        ``config`` sets settings for this run only, ``{"PLUGIN.SETTING": value}``, over
        every other source (the history keeps them, secrets redacted). ``retries`` retries a
        failure a retry can fix (exit 75) after ``retry_delay`` seconds, doubled each time.
        ``executor``: ``"local"``, ``"local:N"`` or a Dask scheduler address; None: the
        project's (``$ELT_EXECUTOR``, ``executor:`` in plugins.yml), else local.
        ``progress(RunProgress)`` is called every ``progress_interval`` seconds from another
        thread, and once at the end. ``job`` and ``schedule`` name what the run is part of,
        in the history (a ``schedule`` makes its trigger ``schedule``).

        A failed run raises its EltError (``error.run_id`` names it in :meth:`runs`); with
        ``check=False`` it is returned instead (``result.ok`` False, ``result.error``).
        What fails before a run starts (an unknown plugin, a wrong ``config`` key, a state
        id another run holds) raises either way: there is no run to return.

        >>> project.run("tap-csv", "target-postgres", full_refresh=True)  # doctest: +SKIP
        """
        request = self.request(
            (tap, *mappers, target),
            config=config,
            state_id=state_id,
            full_refresh=full_refresh,
            retries=retries,
            retry_delay=retry_delay,
            executor=executor,
            install=install,
            force=force,
            record_lines=record_lines,
            stop_timeout=stop_timeout,
            job=job,
            schedule=schedule,
        )
        return self.execute(
            request, progress=progress, progress_interval=progress_interval, check=check
        )

    def run_task(self, task: str, **options: Any) -> RunResult:
        """One task of a job, ``"TAP [MAPPER...] TARGET"`` as plugins.yml writes it, with
        :meth:`run`'s options (``job=`` names its job in the history)."""
        tap, *mappers, target = _blocks(task)
        return self.run(tap, target, mappers=mappers, **options)

    def request(
        self,
        blocks: Sequence[str],
        *,
        config: Mapping[str, object] | None = None,
        overrides: Overrides | None = None,
        retries: int = 0,
        retry_delay: float = 10.0,
        executor: str | None = None,
        schedule: str | None = None,
        trigger: Trigger | None = None,
        **options: Any,
    ) -> RunRequest:
        """The :class:`~elt.run.RunRequest` of a run of ``blocks`` (tap, mappers, target),
        for :meth:`execute`. ``config`` as in :meth:`run`, or ``overrides`` already split
        by plugin (``elt run --config`` parses its text into those); ``trigger`` (default:
        ``schedule`` with a schedule, else ``cli``) goes into the history; ``options`` are the
        request's other fields."""
        if len(blocks) < 2:
            raise UsageError("name a TAP and a TARGET", hint="run(TAP, TARGET, mappers=...)")
        if overrides is None:
            overrides = typed_overrides(self._loaded, config or {}, blocks) if config else {}
        return RunRequest.of(
            blocks,
            environment=self._environment,
            overrides=overrides or NO_OVERRIDES,
            policy=RetryPolicy(retries=retries, delay=retry_delay),
            executor=executor_address(self._loaded, self._environment, executor),
            trigger=trigger or (Trigger.SCHEDULE if schedule is not None else Trigger.CLI),
            schedule=schedule,
            **options,
        )

    def execute(
        self,
        request: RunRequest,
        *,
        progress: ProgressCallback | None = None,
        progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
        watcher: Watcher | None = None,
        check: bool = True,
    ) -> RunResult:
        """Carry out ``request`` (see :meth:`run`): install what its plugins lack (unless
        ``request.install`` is off), run it with its retries, send the alerts. ``watcher``
        is a progress display of the caller's (the CLI's live table) instead of
        ``progress``."""
        self._install(request)
        shown: AbstractContextManager[Watcher | None]
        if progress is not None:
            shown = ProgressReporter(
                progress, request.tap, request.target, interval=progress_interval
            )
        else:
            shown = nullcontext(watcher)
        try:
            with shown as reporting:
                done = run_with_retries(
                    self._loaded,
                    request,
                    watcher=reporting,
                    executor=executor_for(self._loaded, request.executor),
                )
        except EltError as error:
            return self._failed(error, check=check)
        return RunResult.finished(done)

    def run_job(
        self,
        name: str,
        *,
        config: Mapping[str, object] | None = None,
        retries: int = 0,
        retry_delay: float = 10.0,
        executor: str | None = None,
        progress: ProgressCallback | None = None,
        progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
        check: bool = True,
        schedule: str | None = None,
        display: Display | None = None,
        on_result: Callable[[RunResult], None] | None = None,
    ) -> JobResult:
        """Run the job ``name``: each task when the tasks it waits for succeeded (``elt job
        run``). ``config``, ``retries``, ``executor`` and ``progress`` as in :meth:`run`, for
        every task (a ``config`` key must name a plugin some task runs).

        Returns a :class:`~elt.api.results.JobResult` with each task's result. A failure
        raises the first failed task's error once nothing more can run (the tasks waiting
        for it are skipped); with ``check=False`` the JobResult says so instead.
        ``on_result`` is told of each task's result as soon as it has one; ``display`` is a
        caller's progress display (the CLI's) instead of ``progress``.

        >>> project.run_job("nightly", retries=2).results      # doctest: +SKIP
        """
        spec = self.job(name)
        plugins = [plugin for task in spec.tasks for plugin in blocks_of(task)]
        overrides = (
            typed_overrides(self._loaded, config, plugins, scope=f"job {name}") if config else {}
        )
        requests = [
            self.request(
                _blocks(task),
                overrides={p: v for p, v in overrides.items() if p in blocks_of(task)},
                retries=retries,
                retry_delay=retry_delay,
                executor=executor,
                schedule=schedule,
                job=name,
            )
            for task in spec.tasks
        ]
        return self.execute_job(
            name,
            requests,
            waits=spec.waits(),
            overrides=overrides,
            display=display or _callback_display(progress, progress_interval),
            on_result=on_result,
            check=check,
        )

    def execute_job(
        self,
        name: str,
        requests: Sequence[RunRequest],
        *,
        waits: Sequence[frozenset[int]] | None = None,
        overrides: Overrides = NO_OVERRIDES,
        display: Display | None = None,
        on_result: Callable[[RunResult], None] | None = None,
        check: bool = True,
    ) -> JobResult:
        """Carry out the ``requests`` of job ``name`` (see :meth:`run_job`), each task
        waiting for the ``waits`` of its index (default: the one before it)."""
        outcomes: dict[int, RunResult] = {}
        tasks = [" ".join(request.blocks) for request in requests]

        def succeeded(number: int, done: Any) -> None:
            outcomes[number] = RunResult.finished(done)
            if on_result is not None:
                on_result(outcomes[number])

        def failed(number: int, error: EltError) -> None:
            record = self._record_of(error)
            if record is not None:
                outcomes[number] = RunResult.failed(record, error)

        try:
            run_tasks(
                self._loaded,
                requests,
                waits=waits,
                overrides=overrides,
                on_result=succeeded,
                on_failure=failed,
                display=display,
                executors=lambda address: executor_for(self._loaded, address),
            )
        except EltError as error:
            if check or not outcomes:
                raise
            results = {tasks[n]: outcomes[n] for n in sorted(outcomes)}
            skipped = tuple(task for n, task in enumerate(tasks) if n not in outcomes)
            return JobResult(name, results, skipped, error)
        return JobResult(name, {tasks[n]: outcomes[n] for n in sorted(outcomes)})

    def schedule(self, name: str) -> ScheduleSpec:
        """The schedule ``name``; UsageError listing the schedules when there is none."""
        spec = self._loaded.manifest.schedule(name)
        if spec is None:
            names = [s.name for s in self._loaded.manifest.schedules]
            raise UsageError(
                f'no schedule named "{name}"',
                hint=f"Known schedules: {', '.join(names)}"
                if names
                else "Add one: elt schedule add",
            )
        return spec

    def next_firing(self, name: str, after: datetime | None = None) -> datetime:
        """When the schedule ``name`` fires next after ``after`` (default: now), in its
        time zone."""
        return next_firing(self.schedule(name), after)

    def start_schedule(
        self, name: str, *, trigger: Trigger | str = Trigger.UI
    ) -> subprocess.Popen[bytes]:
        """Start the schedule ``name`` in a child process, as ``elt scheduler`` does
        (``elt schedule run NAME``, recorded with ``trigger``), and return at once."""
        spec = self.schedule(name)
        launch = ScheduleLauncher(
            [sys.executable, "-m", "elt.cli"],
            self.root,
            self._environment,
            trigger=Trigger(trigger).value,
        )
        return launch(spec)

    def settings(self, plugin: str) -> list[SettingView]:
        """Every setting of ``plugin`` with its value and where it comes from, secrets as
        ``********`` (``elt config list``)."""
        return settings(self._loaded, plugin, self._environment)

    def run_schedule(
        self,
        name: str,
        *,
        executor: str | None = None,
        progress: ProgressCallback | None = None,
        progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
        check: bool = True,
        trigger: Trigger = Trigger.CLI,
        display: Display | None = None,
        on_result: Callable[[RunResult], None] | None = None,
    ) -> JobResult:
        """Run the schedule ``name`` now (``elt schedule run``): its job or run, in its
        environment (``env:``, else this project's), with its retries; recorded as runs of
        the schedule (``trigger``: ``cli`` by hand, ``schedule`` when a scheduler fires it).
        Returns the tasks' results as :meth:`run_job` does (a ``run:`` schedule is a job of
        one task, named after the schedule)."""
        spec = self.schedule(name)
        job = self.job(spec.job) if spec.job is not None else None
        tasks = job.tasks if job is not None else [spec.run or ""]
        here = self if spec.env in (None, self._environment) else Project(self._loaded, spec.env)
        requests = [
            here.request(
                _blocks(task),
                retries=spec.retries,
                retry_delay=spec.retry_delay,
                executor=executor,
                schedule=spec.name,
                trigger=trigger,
                job=spec.job,
            )
            for task in tasks
        ]
        return here.execute_job(
            spec.job or spec.name,
            requests,
            waits=job.waits() if job is not None else None,
            display=display or _callback_display(progress, progress_interval),
            on_result=on_result,
            check=check,
        )

    # --- history --------------------------------------------------------------------------

    def runs(
        self,
        *,
        limit: int = 20,
        offset: int = 0,
        status: RunStatus | str | None = None,
        state_id: str | None = None,
        schedule: str | None = None,
        job: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[RunRecord]:
        """The latest runs in the history, newest first, from the ``offset``-th (``elt runs
        list``); only those of the ``status``, ``state_id``, ``schedule`` and ``job`` given,
        started from ``since`` until before ``until``.

        >>> [r.run_id for r in project.runs(limit=5, status="failed")]    # doctest: +SKIP
        """
        with self._history() as history:
            return history.list_runs(
                limit=limit,
                offset=offset,
                state_id=state_id,
                status=RunStatus(status) if status is not None else None,
                schedule=schedule,
                job=job,
                since=since,
                until=until,
            )

    def count_runs(
        self,
        *,
        status: RunStatus | str | None = None,
        state_id: str | None = None,
        schedule: str | None = None,
        job: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """How many runs :meth:`runs` would list with these filters and no limit."""
        with self._history() as history:
            return history.count_runs(
                state_id=state_id,
                status=RunStatus(status) if status is not None else None,
                schedule=schedule,
                job=job,
                since=since,
                until=until,
            )

    def pipelines(self, *, since: datetime | None = None) -> list[PipelineStats]:
        """Each pipeline (state id) with runs since ``since``: how many ended how, the mean
        duration of its successes, its success rate and latest run; latest first."""
        with self._history() as history:
            return history.pipelines(since=since)

    def run_series(
        self, state_id: str, *, since: datetime | None = None, limit: int = 500
    ) -> list[RunPoint]:
        """The latest ``limit`` runs of ``state_id`` as chart points (start, status,
        seconds, rows), oldest first."""
        with self._history() as history:
            return history.series(state_id, since=since, limit=limit)

    def get_run(self, run_id: str) -> RunRecord:
        """Everything the history holds of ``run_id``; UsageError when it holds nothing."""
        with self._history() as history:
            return find_run(history, run_id)

    def run_progress(self, run_id: str) -> list[StreamProgress]:
        """Each stream's rows and seconds so far in ``run_id``, read from the METRIC lines
        of its log: live for a run going on in another process."""
        return run_progress(self._loaded, run_id)

    def follow_log(self, run_id: str) -> Iterator[str]:
        """The log of ``run_id`` in chunks as it is written, until the run ends."""
        return tail_log(self._loaded, run_id)

    def logs(self, run_id: str) -> str:
        """The log of ``run_id``: every plugin's stderr, redacted, and elt's own lines."""
        return read_log(self.get_run(run_id))

    # --- helpers --------------------------------------------------------------------------

    def _install(self, request: RunRequest) -> None:
        # a plugin in the wrong place is the run's error to report, not something to install
        places = (
            (request.tap, PluginKind.TAP),
            *((name, PluginKind.MAPPER) for name in request.mappers),
            (request.target, PluginKind.TARGET),
        )
        plugins = [self._loaded.plugin(name) for name, _ in places]
        wanted = [p for p, (_, kind) in zip(plugins, places, strict=True) if p.kind is kind]
        for installed in install_missing(
            self._loaded, wanted, environment=request.environment, install=request.install
        ):
            _log.warning("installed %s into %s", installed.plugin, installed.venv)

    def _failed(self, error: EltError, *, check: bool) -> RunResult:
        record = None if check else self._record_of(error)
        if record is None:
            raise error
        return RunResult.failed(record, error)

    def _record_of(self, error: EltError) -> RunRecord | None:
        """The history record of the run ``error`` ended; None when no run started."""
        if error.run_id is None:
            return None
        with self._history() as history:
            return history.get(error.run_id)

    @contextlib.contextmanager
    def _history(self) -> Iterator[HistoryStore]:
        with project_history(self._loaded) as history:
            yield history

    def __repr__(self) -> str:
        return f"Project({str(self.root)!r}, environment={self._environment!r})"


def _blocks(task: str) -> list[str]:
    names = list(blocks_of(task))
    if len(names) < 2:
        raise UsageError(f"task {task!r} is not TAP [MAPPER...] TARGET")
    return names


def _callback_display(callback: ProgressCallback | None, interval: float) -> Display | None:
    if callback is None:
        return None

    def display(tap: str, target: str) -> AbstractContextManager[Watcher]:
        return ProgressReporter(callback, tap, target, interval=interval)

    return display
