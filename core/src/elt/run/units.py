"""One unit of a split run, as a worker runs it: tap → mappers → target, piped as locally.

A run split into units (:mod:`elt.run.split`) ships each unit as a :class:`UnitSpec`:
plugins.yml as the coordinator read it, each plugin's config as the coordinator resolved
it (secrets inside: a spec travels only inside the executor's own messages, and its
configs reach the plugins as 0600 files in a private folder, as in a local run), the
unit's catalog, the state its tap starts from and its partition
(:mod:`elt.protocol.partitions`). :func:`run_unit` runs it in a project opened from that
plugins.yml with its plugins installed, and returns every state the target emitted; the
coordinator, not the worker, stores them. The target learns which unit it loads from
``ELT_UNIT`` (:class:`~elt.protocol.UnitIdentity`), so it can load each unit exactly once
however many times it runs.

An :class:`Executor` runs specs somewhere: the Dask executor (:mod:`elt.executor.dask`) on
a cluster, :class:`ThreadExecutor` on this machine, several units at once.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from elt.errors import EltError, Interrupted
from elt.project import Project
from elt.protocol import PARTITION_FLAG, UNIT_ENV, PartitionRequest, UnitIdentity, dumps
from elt.run.about import capabilities
from elt.run.fastpath import with_csv_batches
from elt.run.invoker import Invocation, find_executable, plugin_environment, write_private
from elt.run.logs import Redactor, RunLog
from elt.run.metrics import RunMetrics
from elt.run.pipeline import Pipeline
from elt.run.private import private_directory
from elt.run.process import Supervisor

__all__ = ["UNIT_LOG_DIR", "Executor", "ThreadExecutor", "UnitResult", "UnitSpec", "run_unit"]

UNIT_LOG_DIR = Path(".elt") / "logs" / "units"
"""Where a unit's log stays on the machine that ran it (its text also goes back to the
coordinator's run log when the unit succeeds)."""


@dataclass(frozen=True)
class UnitSpec:
    """Everything a worker needs to run one unit (picklable).

    ``root`` is the coordinator's project folder: plugins run there when the worker sees
    it (the same machine, or a shared file system), so relative paths in configs mean what
    they mean in a local run; elsewhere they run in the worker's copy of the project.
    """

    unit: UnitIdentity
    manifest: bytes
    environment: str | None
    plugins: tuple[str, ...]
    configs: Mapping[str, Mapping[str, Any]]
    secrets: tuple[str, ...]
    env: Mapping[str, str]
    catalog: Mapping[str, Any] | None
    state: Mapping[str, Any] | None
    partition: PartitionRequest | None = None
    record_lines: bool = False
    stop_timeout: float = 10.0
    root: str | None = None

    @property
    def name(self) -> str:
        """``orders`` or ``orders[p0003]``, for logs and errors."""
        stream = self.unit.stream or "all streams"
        return f"{stream}[{self.unit.partition}]" if self.unit.partition else stream

    def __repr__(self) -> str:  # configs hold secrets: never in a traceback or a log
        return f"UnitSpec({self.unit.id}, {self.name})"


@dataclass(frozen=True)
class UnitResult:
    """What one unit did: every state its target emitted, in order, and its counts."""

    unit_id: str
    stream: str | None
    partition: str | None
    states: tuple[dict[str, Any], ...]  # as the target wrote them
    rows: Mapping[str, int]
    rows_kind: str | None
    seconds: float
    worker: str
    log: str
    attempt: int = 1


class Executor(Protocol):
    """Runs units somewhere: independent ones at once."""

    def run_units(self, specs: Sequence[UnitSpec], on_result: Callable[[UnitResult], None]) -> None:
        """Run every spec, calling ``on_result`` (in the caller's thread) as each finishes;
        raise the first failure's error once the others have finished or were cancelled."""
        ...

    def interrupt(self, signal_number: int) -> None:
        """Called from a signal handler (so it takes no lock the caller may hold): stop the
        units that run, start no other; ``run_units`` then raises."""
        ...


def run_unit(
    project: Project,
    spec: UnitSpec,
    *,
    worker: str = "local",
    watch: Callable[[Supervisor], None] | None = None,
) -> UnitResult:
    """Run ``spec`` in ``project`` (opened from ``spec.manifest``, its plugins installed).
    ``watch`` is handed the unit's supervisor before its plugins start (to stop them).

    Raises the run's error (PluginError, ProtocolError…) when the unit fails; its states
    up to then are not returned, since the coordinator keeps only whole units.
    """
    started = time.monotonic()
    metrics = RunMetrics()
    states: list[dict[str, Any]] = []
    log_path = project.root / UNIT_LOG_DIR / f"{spec.unit.id}.{spec.unit.attempt}.log"
    with private_directory("unit") as workdir:
        invocations = _invocations(project, spec, workdir)
        log = RunLog(log_path, Redactor(spec.secrets), metrics)
        try:
            supervisor = Supervisor(log, spec.stop_timeout)
            if watch is not None:
                watch(supervisor)
            with supervisor:
                log.write("elt", f"unit {spec.unit.id} ({spec.name}) on {worker}")
                tap, *mappers, target = invocations
                pipeline = Pipeline(
                    supervisor=supervisor,
                    stored=dict(spec.state) if spec.state is not None else None,
                    keep=lambda state: None,  # the coordinator stores them
                    emitted=states.append,
                    tap=tap,
                    mappers=mappers,
                    target=target,
                    workdir=workdir,
                    catalog=_written(workdir / "unit.catalog.json", spec.catalog),
                    tap_arguments=_partition_arguments(workdir, spec.partition),
                    whole=True,
                )
                pipeline.run(full_refresh=False)
        except EltError as error:
            raise _named(error, spec) from None
        finally:
            log.close()
        text = log_path.read_text(encoding="utf-8", errors="replace")
    tap_name, target_name = spec.plugins[0], spec.plugins[-1]
    return UnitResult(
        unit_id=spec.unit.id,
        stream=spec.unit.stream,
        partition=spec.unit.partition,
        states=tuple(states),
        rows=metrics.rows(tap_name, target_name),
        rows_kind=metrics.rows_kind(tap_name, target_name),
        seconds=time.monotonic() - started,
        worker=worker,
        log=text,
        attempt=spec.unit.attempt,
    )


class ThreadExecutor:
    """Runs units on this machine, ``workers`` at a time, each a local pipeline
    (``elt run --executor local:N``): parallel streams and partitions without a cluster.
    A unit that fails does not stop the others; its error is raised once all have ended."""

    def __init__(self, project: Project, workers: int) -> None:
        self.project = project
        self.workers = workers
        self._running: list[Supervisor] = []
        self._interrupted: int | None = None

    def run_units(self, specs: Sequence[UnitSpec], on_result: Callable[[UnitResult], None]) -> None:
        failure: BaseException | None = None
        with ThreadPoolExecutor(self.workers, thread_name_prefix="unit") as pool:
            futures = [pool.submit(self._run, spec) for spec in specs]
            for future in as_completed(futures):
                error = future.exception()
                if error is None:
                    on_result(future.result())
                elif failure is None or isinstance(error, Interrupted):
                    failure = error  # the others go on: a rerun then redoes only this one
        if failure is not None:
            raise failure

    def interrupt(self, signal_number: int) -> None:
        self._interrupted = signal_number
        for supervisor in list(self._running):
            supervisor.interrupt(signal_number)

    def _run(self, spec: UnitSpec) -> UnitResult:
        if self._interrupted is not None:
            raise Interrupted(
                f"unit {spec.name} not started: the run was interrupted",
                signal_number=self._interrupted,
            )
        worker = f"{socket.gethostname()} (local)"
        return run_unit(self.project, spec, worker=worker, watch=self._running.append)


def _invocations(project: Project, spec: UnitSpec, workdir: Path) -> list[Invocation]:
    """The unit's plugins, ready to start with the configs the coordinator resolved; the
    target told which unit it loads."""
    env = plugin_environment(project, spec.environment) | dict(spec.env)
    cwd = Path(spec.root) if spec.root and Path(spec.root).is_dir() else project.root
    invocations = []
    for name in spec.plugins:
        plugin = project.plugin(name)
        executable = find_executable(project, plugin, env.get("PATH"))
        config_file = workdir / f"{name}.config.json"
        write_private(config_file, dumps(dict(spec.configs[name])))
        invocations.append(
            Invocation(
                plugin,
                executable,
                config_file,
                env,
                cwd,
                spec.secrets,
                {},
                capabilities=capabilities(executable, env),
            )
        )
    if len(invocations) == 2 and not spec.record_lines:
        batches = with_csv_batches(invocations[0], invocations[1], workdir / "batches")
        if batches is not None:
            invocations = list(batches)
    target = invocations[-1]
    unit_env = {**target.env, UNIT_ENV: json.dumps(spec.unit.as_dict())}
    invocations[-1] = dataclasses.replace(target, env=unit_env)
    return invocations


def _written(path: Path, catalog: Mapping[str, Any] | None) -> Path | None:
    if catalog is None:
        return None
    write_private(path, dumps(dict(catalog)))
    return path


def _partition_arguments(workdir: Path, partition: PartitionRequest | None) -> list[str]:
    """``--partition FILE`` for a tap reading one partition; nothing for a whole stream."""
    if partition is None:
        return []
    path = workdir / "unit.partition.json"
    write_private(path, dumps(partition.as_dict()))
    return [PARTITION_FLAG, str(path)]


def _named(error: EltError, spec: UnitSpec) -> EltError:
    """``error`` with the unit it happened in said first."""
    unit = f"unit {spec.name} ({spec.unit.id})"
    error.where = f"{unit}, {error.where}" if error.where else unit
    return error
