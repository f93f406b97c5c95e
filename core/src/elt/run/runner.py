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
import fcntl
import json
import logging
import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elt.errors import EltError, Interrupted, PluginError, ProtocolError, UsageError
from elt.history import HistoryStore, RunOrigin, RunRecord, now
from elt.project import Plugin, PluginKind, Project
from elt.protocol import merge_state
from elt.run.catalog import build_catalog
from elt.run.invoker import Invocation, prepare, write_private
from elt.run.logs import Redactor, RunLog
from elt.run.metrics import RunMetrics
from elt.run.process import PluginProcess, Supervisor, describe_exit, signal_name
from elt.run.record import project_history, recording
from elt.run.signals import forward_signals
from elt.state import (
    StateStore,
    check_state_id,
    default_state_id,
    open_state_store,
    state_id_filename,
)

__all__ = [
    "DEFAULT_STOP_TIMEOUT",
    "LOG_DIR",
    "RunResult",
    "new_run_id",
    "project_state_store",
    "run_pipeline",
]

DEFAULT_STOP_TIMEOUT = 10.0
LOG_DIR = Path(".elt") / "logs"
_PIPE_BYTES = 1024 * 1024
_PREVIEW = 80


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
    bytes: int | None = None


def new_run_id() -> str:
    """``20250101T120000Z-1a2b3c``: sorts by start time, unique across concurrent runs."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def run_pipeline(
    project: Project,
    tap: str,
    target: str,
    *,
    environment: str | None = None,
    state_id: str | None = None,
    full_refresh: bool = False,
    store: StateStore | None = None,
    stop_timeout: float = DEFAULT_STOP_TIMEOUT,
    force: bool = False,
    mappers: Sequence[str] = (),
    history: HistoryStore | None = None,
    run_id: str | None = None,
    origin: RunOrigin | None = None,
) -> RunResult:
    """Run ``tap | target`` once, storing each state the target commits; see the module doc.

    Raises PluginError when a plugin fails, ProtocolError when the target writes something
    other than a state on stdout, Interrupted on SIGINT/SIGTERM, UsageError when another run
    holds the state id (unless ``force``); in every case the state stored so far is kept.
    ``store`` defaults to the project's ``state_backend`` and ``history`` to its
    ``system_database``, each opened and closed here. ``run_id`` (default: a new one) and
    ``origin`` (default: a first attempt from the command line) go into the history.
    """
    started = time.monotonic()
    tap_plugin = _plugin_of_kind(project, tap, PluginKind.TAP)
    target_plugin = _plugin_of_kind(project, target, PluginKind.TARGET)
    mapper_plugins = [_plugin_of_kind(project, m, PluginKind.MAPPER) for m in mappers]
    active = project.environment(environment)
    if state_id is None:
        state_id = default_state_id(active.name if active else None, tap, target)
    state_id = check_state_id(state_id)
    owned = contextlib.ExitStack()
    if store is None:
        store = owned.enter_context(contextlib.closing(project_state_store(project)))
    if history is None:
        history = owned.enter_context(project_history(project))
    run_id = run_id or new_run_id()
    log_path = project.root / LOG_DIR / state_id_filename(state_id) / f"{run_id}.log"
    holder = f"run {run_id} (pid {os.getpid()}, log {log_path})"
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
        origin=origin or RunOrigin(),
    )
    with (
        owned,
        store.lock(state_id, holder=holder, force=force),
        recording(history, record, metrics),
        tempfile.TemporaryDirectory(prefix="elt-run-") as private,
    ):
        workdir = Path(private)
        tap_invocation = prepare(project, tap_plugin, environment=environment, workdir=workdir)
        mapper_invocations = [
            prepare(project, plugin, environment=environment, workdir=workdir)
            for plugin in mapper_plugins
        ]
        target_invocation = prepare(
            project, target_plugin, environment=environment, workdir=workdir
        )
        invocations = (tap_invocation, *mapper_invocations, target_invocation)
        log = RunLog(log_path, Redactor(s for i in invocations for s in i.secrets), metrics)
        try:
            supervisor = Supervisor(log, stop_timeout)
            with forward_signals(supervisor.interrupt), supervisor:
                chain = " -> ".join(i.name for i in invocations)
                log.write("elt", f"run {run_id}: {chain}, state id {state_id!r}")
                for invocation in invocations:
                    config = json.dumps(invocation.shown_config, default=str)
                    log.write("elt", f"{invocation.name} config: {config}", logging.DEBUG)
                    for warning in invocation.warnings:
                        log.write("elt", warning, logging.WARNING)
                pipeline = _Pipeline(
                    supervisor=supervisor,
                    store=store,
                    state_id=state_id,
                    tap=tap_invocation,
                    mappers=mapper_invocations,
                    target=target_invocation,
                    workdir=workdir,
                )
                tap_code, target_code = pipeline.run(full_refresh=full_refresh)
                log.write("elt", f"finished: {pipeline.states} states stored")
        finally:
            log.close()
    return RunResult(
        run_id=run_id,
        state_id=state_id,
        tap=tap,
        target=target,
        tap_exit_code=tap_code,
        target_exit_code=target_code,
        states_stored=pipeline.states,
        state=pipeline.state,
        log_path=log_path,
        duration=time.monotonic() - started,
        mappers=tuple(mappers),
        rows=metrics.rows(tap, target),
        bytes=metrics.bytes(tap, target),
    )


@dataclass(frozen=True)
class _BadLine:
    """A line on the target's stdout that is not a state."""

    number: int
    text: bytes
    problem: str

    @property
    def truncated(self) -> bool:
        """The last line, cut short: the target died while writing it."""
        return not self.text.endswith(b"\n")


class _Pipeline:
    """One tap-to-target run inside the lock, the private directory and the supervisor."""

    def __init__(
        self,
        *,
        supervisor: Supervisor,
        store: StateStore,
        state_id: str,
        tap: Invocation,
        mappers: Sequence[Invocation] = (),
        target: Invocation,
        workdir: Path,
    ) -> None:
        self.supervisor = supervisor
        self.store = store
        self.state_id = state_id
        self.tap = tap
        self.mappers = list(mappers)
        self.target = target
        self.workdir = workdir
        self.log = supervisor.log
        self.states = 0
        self.state: dict[str, Any] | None = None

    def run(self, *, full_refresh: bool) -> tuple[int, int]:
        """The exit codes of tap and target, or the error that says what went wrong."""
        try:
            return self._run(full_refresh=full_refresh)
        except Interrupted:
            raise
        except EltError as error:
            if self.supervisor.interrupted is not None:  # the failure is the stop we caused
                raise self._interrupted() from error
            raise

    def _run(self, *, full_refresh: bool) -> tuple[int, int]:
        stored = self.store.get(self.state_id)
        self.state = stored
        arguments = []
        if self.tap.plugin.select or self.tap.plugin.metadata:
            catalog = build_catalog(self.supervisor, self.tap, self.workdir)
            arguments += ["--catalog", str(catalog)]
        else:
            self.log.write("elt", "no select or metadata: the tap runs on its own catalog")
        if self.supervisor.interrupted is not None:
            raise self._interrupted()
        if full_refresh:
            self.log.write("elt", "full refresh: the tap starts without the stored state")
        elif stored is not None:
            state_file = self.workdir / f"{self.tap.name}.state.json"
            write_private(state_file, json.dumps(stored).encode())
            arguments += ["--state", str(state_file)]
        with contextlib.ExitStack() as held:
            # pipes[i] feeds consumers[i]; downstream starts first, so a plugin that cannot
            # start costs no extraction, and the parent closes each write end once given
            consumers = [*self.mappers, self.target]
            pipes = [held.enter_context(_Pipe()) for _ in consumers]
            target = self.supervisor.start(
                self.target, self.target.argv(), stdin=pipes[-1].read_end, stdout=subprocess.PIPE
            )
            mappers: list[PluginProcess] = []
            for index in reversed(range(len(self.mappers))):
                try:
                    mappers.insert(
                        0,
                        self.supervisor.start(
                            self.mappers[index],
                            self.mappers[index].argv(),
                            stdin=pipes[index].read_end,
                            stdout=pipes[index + 1].write_end,
                        ),
                    )
                finally:
                    pipes[index + 1].close_write_end()
            try:
                tap = self.supervisor.start(
                    self.tap,
                    self.tap.argv(*arguments),
                    stdin=subprocess.DEVNULL,
                    stdout=pipes[0].write_end,
                )
            finally:
                pipes[0].close_write_end()
            upstream = [tap, *mappers]
            bad = self._store_states(target, {} if full_refresh or stored is None else stored)
            if bad is not None:
                if bad.truncated:  # its stdout ended mid-line: it is exiting, let it finish
                    target.wait(self.supervisor.stop_timeout)
                self.supervisor.stop_all()
            else:
                target.wait()
                failed = target.returncode != 0 or any(
                    p.wait(0) and p.returncode != 0 for p in upstream
                )
                for process in reversed(upstream):
                    if failed or not process.wait(self.supervisor.stop_timeout):
                        self.supervisor.stop(process)
            codes = tap.finish(), *(m.finish() for m in mappers), target.finish()
        if self.supervisor.interrupted is not None:
            raise self._interrupted()
        if bad is not None and not (bad.truncated and target.returncode != 0):
            raise self._protocol_error(bad)
        if any(codes) or any(p.stopped for p in upstream):
            raise self._failure([*upstream, target])
        return codes[0], codes[-1]

    def _store_states(self, target: PluginProcess, base: Mapping[str, Any]) -> _BadLine | None:
        """Store each state the target emits until its stdout ends; the first bad line."""
        current = dict(base)
        for number, line in enumerate(target.stdout, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line, parse_constant=_refuse_constant)
            except ValueError as error:
                return _BadLine(number, line, f"not valid JSON ({error})")
            if not isinstance(value, dict):
                return _BadLine(number, line, f"a state must be a JSON object, not {_kind(value)}")
            current = merge_state(current, value)
            self.store.set(self.state_id, current)
            self.state = current
            self.states += 1
            self.log.write(
                "elt", f"state stored ({target.name} stdout line {number})", logging.DEBUG
            )
        return None

    def _protocol_error(self, bad: _BadLine) -> ProtocolError:
        text = self.log.redact(bad.text.decode("utf-8", errors="replace").rstrip("\r\n"))
        preview = text if len(text) <= _PREVIEW else text[:_PREVIEW] + "…"
        return ProtocolError(
            f"{bad.problem}; the line is {preview!r}",
            where=f"{self.target.name} stdout line {bad.number}",
            hint="A target writes on stdout only the state values it has committed, one JSON "
            "object per line (logs go to stderr); the bookmark stays at the last valid one "
            f"({self._states_note()}). Full log: {self.log.path}",
        )

    def _failure(self, chain: Sequence[PluginProcess]) -> PluginError:
        """The error naming the plugin at fault: the first of the chain before the target
        that failed without being stopped (certain, see the module docstring), else the
        target — which may have been stopped after it failed, or have exited early."""
        upstream, target = chain[:-1], chain[-1]
        culprit = next((p for p in upstream if p.returncode != 0 and not p.stopped), target)
        returncode = culprit.returncode or None
        if culprit.returncode == 0:  # nobody failed: one exited early and starved the others
            stopped = next((p for p in upstream if p.stopped), upstream[0])
            culprit = chain[chain.index(stopped) + 1]
            what = f"{culprit.kind} {culprit.name} exited before {stopped.kind} {stopped.name} "
            what += "finished sending"
        else:
            what = f"{culprit.kind} {culprit.name} {describe_exit(culprit.returncode)}"
        for other in chain:
            if other is culprit:
                continue
            if other.stopped:
                what += f"; {other.kind} {other.name} was stopped"
            elif other.returncode != 0:
                what += f"; {other.kind} {other.name} then {describe_exit(other.returncode)}"
        tail = culprit.tail()
        lines = [what + (". The last lines of its stderr:" if tail else ".")]
        lines += [f"  {line}" for line in tail]
        lines.append(f"{self._states_note()}; the next run continues from the stored bookmark.")
        lines.append(f"Full log: {self.log.path}")
        return PluginError("\n".join(lines), returncode=returncode)

    def _interrupted(self) -> Interrupted:
        number = self.supervisor.interrupted or 2
        name = signal_name(number)
        self.log.write("elt", f"interrupted by {name}")
        return Interrupted(
            f"interrupted by {name}; {self._names()} were stopped. "
            f"{self._states_note()}; the next run continues from the stored bookmark. "
            f"Full log: {self.log.path}",
            signal_number=number,
        )

    def _names(self) -> str:
        names = [self.tap.name, *(m.name for m in self.mappers), self.target.name]
        return ", ".join(names[:-1]) + " and " + names[-1]

    def _states_note(self) -> str:
        if self.states == 0:
            return "no state was stored by this run"
        return f"{self.states} state{'s' if self.states > 1 else ''} stored by this run"


class _Pipe:
    """An OS pipe between two plugins, as the parent holds it (see the module docstring).

    It is widened to 1 MiB where Linux allows: fewer context switches between a fast tap
    and its target than with the default 64 KiB.
    """

    def __init__(self) -> None:
        self.read_end, self.write_end = os.pipe()
        set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
        if set_size is not None:
            with contextlib.suppress(OSError):
                fcntl.fcntl(self.write_end, set_size, _PIPE_BYTES)

    def close_write_end(self) -> None:
        """Once the tap has its copy: the target's end of file then follows the tap's."""
        if self.write_end >= 0:
            os.close(self.write_end)
            self.write_end = -1

    def __enter__(self) -> _Pipe:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close_write_end()
        os.close(self.read_end)


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


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array"
