"""``elt run TAP [MAPPER...] TARGET``: pipe a tap into a target, keep the bookmark of what loaded.

The data path is an OS pipe from the tap's stdout to the target's stdin (through each
mapper's stdin and stdout in turn when there are mappers); no Python code of elt touches a
record. The target starts first (a target that cannot start costs no extraction)
and the parent closes its copy of the write end at once, so the target sees end of file
exactly when the tap closes its stdout. The parent keeps its copy of the read end (and
never reads from it) until the run ends: a tap whose target has died then blocks on a full
pipe instead of dying of a broken pipe, and the runner stops it. So a tap that exits with
an error on its own has failed by itself, whatever the target did; that is how the error
names the right plugin without guessing from the order of exits. Mappers sit on the same
rule: the parent holds every pipe's read end, so the first plugin in the chain that failed
without being stopped is the one at fault.

The bookmark comes only from the target's stdout: a Singer target writes a STATE value there
after the records before it are committed. Each such line is merged over the state stored
so far (:func:`elt.protocol.merge_state`, so a partial state keeps the other streams'
bookmarks) and stored atomically before the next line is read. Whatever happens next (the
tap dies, the target dies, elt is killed) the stored bookmark covers only committed data,
and a rerun continues from it. ``full_refresh`` runs the tap without ``--state`` and merges
the new states over an empty one: the state stored afterwards describes this run alone.

When a plugin fails the others are not left running: a failed target (or mapper) gets
everything upstream of it stopped (SIGTERM, then SIGKILL after ``stop_timeout``); a failed
tap closes the pipe, so what is downstream sees end of file, commits what it received, and
the target emits its last states, which are stored.
The error names the plugin at fault (a tap dying mid-line makes the target fail too, but
the tap is the cause), its exit code, the last lines of its stderr and the log.

Every run that gets its state id's lock is recorded in the project's run history
(:mod:`elt.run.record`): ``running`` before the first plugin starts, then its outcome with
the rows per stream the plugins' METRIC lines counted (:mod:`elt.run.metrics`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elt.errors import UsageError
from elt.history import HistoryStore, RunOrigin, RunRecord, now
from elt.project import Overrides, Plugin, PluginKind, Project, check_overrides
from elt.run.fastpath import with_csv_batches
from elt.run.invoker import Invocation, prepare, shown_overrides, with_metric_interval
from elt.run.logs import Redactor, RunLog
from elt.run.metrics import RunMetrics, StreamProgress
from elt.run.orphans import plugin_guard
from elt.run.pipeline import Pipeline
from elt.run.private import private_directory
from elt.run.process import Supervisor
from elt.run.record import project_history, recording
from elt.run.request import RunRequest
from elt.run.signals import forward_signals
from elt.run.split import Split, UnitSummary
from elt.run.units import Executor
from elt.state import (
    StateStore,
    check_state_id,
    default_state_id,
    open_state_store,
    state_id_filename,
)

__all__ = [
    "LOG_DIR",
    "RunResult",
    "new_run_id",
    "project_state_store",
    "run_pipeline",
]

LOG_DIR = Path(".elt") / "logs"


@dataclass(frozen=True)
class RunResult:
    """What a finished run did."""

    run_id: str
    state_id: str
    tap: str
    target: str
    tap_exit_code: int
    target_exit_code: int
    states_stored: int
    state: dict[str, Any] | None
    log_path: Path
    duration: float
    mappers: tuple[str, ...] = ()
    rows: dict[str, int] = field(default_factory=dict)
    rows_kind: str | None = None
    bytes: int | None = None
    streams: tuple[StreamProgress, ...] = ()
    overrides: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    units: tuple[UnitSummary, ...] = ()


def new_run_id() -> str:
    """``20250101T120000Z-1a2b3c``: sorts by start time, unique across concurrent runs."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def run_pipeline(
    project: Project,
    request: RunRequest,
    *,
    store: StateStore | None = None,
    history: HistoryStore | None = None,
    run_id: str | None = None,
    origin: RunOrigin | None = None,
    metrics: RunMetrics | None = None,
    metric_interval: float | None = None,
    executor: Executor | None = None,
) -> RunResult:
    """Run ``tap | target`` once, storing each state the target commits; see the module doc.

    Raises PluginError when a plugin fails, ProtocolError when the target writes something
    other than a state on stdout, Interrupted on SIGINT/SIGTERM, UsageError when another run
    holds the state id (unless ``request.force``); in every case the state stored so far is
    kept. ``store`` defaults to the project's ``state_backend`` and ``history`` to its
    ``system_database``, each opened and closed here. ``run_id`` (default: a new one) and
    ``origin`` (default: the request's first attempt) go into the history, and so do the
    request's ``overrides``, secrets redacted. ``full_refresh`` applies to a first attempt
    only: a retry continues from what the failed one committed.
    Between elt's own plugins rows travel as csv files (:mod:`elt.run.fastpath`) unless
    ``record_lines``. ``metrics`` (default: a new one) counts the plugins' METRIC lines as
    they arrive, for a progress display to read; ``metric_interval`` asks the plugins that
    read ``ELT_METRIC_INTERVAL`` to log their counters every that many seconds.
    ``executor`` (for ``request.executor`` other than local) runs the run as units
    (:mod:`elt.run.split`); None runs it here as one pipe.
    """
    tap, target, mappers = request.tap, request.target, request.mappers
    environment, overrides, force = request.environment, request.overrides, request.force
    origin = origin or request.origin()
    full_refresh = request.full_refresh and origin.attempt == 1
    started = time.monotonic()
    tap_plugin = _plugin_of_kind(project, tap, PluginKind.TAP)
    target_plugin = _plugin_of_kind(project, target, PluginKind.TARGET)
    mapper_plugins = [_plugin_of_kind(project, m, PluginKind.MAPPER) for m in mappers]
    check_overrides(overrides, (tap, *mappers, target), scope="the run")
    active = project.environment(environment)
    state_id = check_state_id(
        request.state_id or default_state_id(active.name if active else None, tap, target)
    )
    owned = contextlib.ExitStack()
    if store is None:
        store = owned.enter_context(contextlib.closing(project_state_store(project)))
    if history is None:
        history = owned.enter_context(project_history(project))
    run_id = run_id or new_run_id()
    log_path = project.root / LOG_DIR / state_id_filename(state_id) / f"{run_id}.log"
    holder = f"run {run_id} (pid {os.getpid()}, log {log_path})"
    if metrics is None:
        metrics = RunMetrics()
    record = RunRecord(
        run_id=run_id,
        state_id=state_id,
        tap=tap,
        target=target,
        mappers=tuple(mappers),
        started_at=now(),
        log_path=str(log_path),
        environment=active.name if active else None,
        origin=origin,
        overrides=shown_overrides(project, overrides, environment=environment),
    )
    with (
        owned,
        store.lock(state_id, holder=holder, force=force),
        plugin_guard(project.root, state_id, run_id=run_id, force=force) as guard,
        recording(history, record, metrics),
        private_directory("run") as workdir,
    ):
        invocations, fast_path = _invocations(
            project,
            (tap_plugin, *mapper_plugins, target_plugin),
            environment=environment,
            workdir=workdir,
            # units choose their own fast path: its files live where they run
            record_lines=request.record_lines or executor is not None,
            metric_interval=metric_interval,
            overrides=overrides,
        )
        log = RunLog(log_path, Redactor(s for i in invocations for s in i.secrets), metrics)
        try:
            supervisor = Supervisor(log, request.stop_timeout, guard)
            with forward_signals(supervisor.interrupt), supervisor:
                if guard.warning:
                    log.write("elt", guard.warning, logging.WARNING)
                chain = " -> ".join(i.name for i in invocations)
                log.write("elt", f"run {run_id}: {chain}, state id {state_id!r}")
                if fast_path:
                    log.write("elt", f"fast path: {tap} sends csv BATCH files, {target} COPYs them")
                for invocation in invocations:
                    config = json.dumps(invocation.shown_config, default=str)
                    log.write("elt", f"{invocation.name} config: {config}", logging.DEBUG)
                    for warning in invocation.warnings:
                        log.write("elt", warning, logging.WARNING)
                run, tap_code, target_code = _execute(
                    project,
                    request,
                    executor,
                    supervisor=supervisor,
                    store=store,
                    state_id=state_id,
                    invocations=invocations,
                    workdir=workdir,
                    full_refresh=full_refresh,
                )
                log.write("elt", f"finished: {run.states} states stored")
        finally:
            log.close()
    return RunResult(
        run_id=run_id,
        state_id=state_id,
        tap=tap,
        target=target,
        tap_exit_code=tap_code,
        target_exit_code=target_code,
        states_stored=run.states,
        state=run.state,
        log_path=log_path,
        duration=time.monotonic() - started,
        mappers=tuple(mappers),
        rows=metrics.rows(tap, target),
        rows_kind=metrics.rows_kind(tap, target),
        bytes=metrics.bytes(tap, target),
        streams=tuple(metrics.progress(tap, target, ended=True)),
        overrides=record.overrides,
        units=tuple(run.units) if isinstance(run, Split) else (),
    )


def _execute(
    project: Project,
    request: RunRequest,
    executor: Executor | None,
    *,
    supervisor: Supervisor,
    store: StateStore,
    state_id: str,
    invocations: Sequence[Invocation],
    workdir: Path,
    full_refresh: bool,
) -> tuple[Pipeline | Split, int, int]:
    """Run the plugins here as one pipe, or as units on ``executor``; the exit codes of
    tap and target (0 for a split run: its units succeeded)."""
    tap, *mappers, target = invocations
    stored = store.get(state_id)
    keep = functools.partial(store.set, state_id)
    if executor is None:
        pipeline = Pipeline(
            supervisor=supervisor,
            stored=stored,
            keep=keep,
            tap=tap,
            mappers=mappers,
            target=target,
            workdir=workdir,
        )
        return pipeline, *pipeline.run(full_refresh=full_refresh)
    supervisor.log.write("elt", f"executor: {request.executor}")
    split = Split(
        project=project,
        request=request,
        state_id=state_id,
        supervisor=supervisor,
        executor=executor,
        stored=stored,
        keep=keep,
        tap=tap,
        mappers=mappers,
        target=target,
        workdir=workdir,
    )
    split.run()
    return split, 0, 0


def _invocations(
    project: Project,
    plugins: Sequence[Plugin],
    *,
    environment: str | None,
    workdir: Path,
    record_lines: bool,
    metric_interval: float | None,
    overrides: Overrides,
) -> tuple[list[Invocation], bool]:
    """The run's plugins in order, ready to start, and whether they use the csv fast path."""
    invocations = [
        prepare(project, plugin, environment=environment, workdir=workdir, overrides=overrides)
        for plugin in plugins
    ]
    batches = None
    if len(invocations) == 2 and not record_lines:  # a tap and a target, no mapper
        batches = with_csv_batches(invocations[0], invocations[1], workdir / "batches")
    if batches is not None:
        invocations = list(batches)
    if metric_interval is not None:
        invocations = [with_metric_interval(i, metric_interval) for i in invocations]
    return invocations, batches is not None


def project_state_store(project: Project) -> StateStore:
    """The store the project's ``state_backend`` (and its settings) name."""
    manifest = project.manifest
    settings = manifest.state_backend_settings.model_dump(by_alias=True, exclude_none=True)
    return open_state_store(project.root, manifest.state_backend, settings)


def _plugin_of_kind(project: Project, name: str, kind: PluginKind) -> Plugin:
    plugin = project.plugin(name)
    if plugin.kind is not kind:
        raise UsageError(
            f"{name} is a {plugin.kind.value}, not a {kind.value}",
            hint="The order is `elt run TAP [MAPPER...] TARGET`",
        )
    return plugin
