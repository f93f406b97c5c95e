"""A run split into units that an executor runs in parallel: the coordinator's side.

``elt run TAP TARGET --executor ADDRESS`` runs here instead of one local pipe
(:mod:`elt.run.pipeline`). The coordinator (this process) resolves the plugins' configs,
discovers the catalog once and cuts the run into units (the contract is
:mod:`elt.protocol.partitions`):

- one unit per selected stream, its catalog selecting only that stream;
- one per partition for a stream its tap partitions (a tap listing ``elt-partitions`` is
  asked once, with ``--partitions``, for its plan);
- one unit for the whole run when the tap takes no catalog (it cannot be restricted to a
  stream).

**State and exactly-once.** Before any unit starts, each stream's plan — its partition ids,
the plan's token and ``bound`` — is stored in the state under ``elt_partitions``. As each
unit ends, its last state is kept there as done; when every unit of a stream is done, their
bookmarks for that stream are merged into the state and the stream's plan removed. So the
bookmark of a stream advances only when all of its units committed, and a run after a
failure (or after the coordinator died) finds the plan, runs only the units not done, with
the same unit ids: a target that keeps a ledger of committed units (elt's do) loads none
twice, even one that committed just before its worker died. A unit the executor runs again
after its worker died has the same id too. ``--full-refresh`` drops the stored plans.

What each unit did (stream, partition, worker, rows, seconds, attempt) comes back in the
run's result, and its log is appended to the run log under the unit's name.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from elt.errors import EltError, Interrupted, PluginError, ProtocolError
from elt.project import Project
from elt.protocol import (
    PARTITIONS,
    PLAN_FLAG,
    PROGRESS_KEY,
    Catalog,
    CatalogEntry,
    PartitionRequest,
    UnitIdentity,
    merge_state,
    unit_id,
)
from elt.protocol.state import deep_merge
from elt.run.catalog import build_catalog, discover
from elt.run.finish import run_finish
from elt.run.invoker import Invocation, write_private
from elt.run.logs import RunLog
from elt.run.process import Supervisor, signal_name
from elt.run.request import RunRequest
from elt.run.units import Executor, UnitResult, UnitSpec

__all__ = ["Split", "UnitSummary"]

_log = logging.getLogger("elt.run")
_CATALOG_CAPABILITIES = frozenset({"catalog", "properties"})
_WHOLE_RUN = ""  # the plan's key of a run that is one unit


@dataclass(frozen=True)
class UnitSummary:
    """One unit of a split run, as the progress table, ``--json`` and the history show it."""

    unit_id: str
    stream: str | None
    partition: str | None
    worker: str
    rows: int
    seconds: float
    status: str
    attempt: int

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


@dataclass
class _Plan:
    """One stream's units, as kept in the state until all of them are done."""

    token: str
    partitions: list[dict[str, Any] | None]
    bound: Any
    done: dict[str, dict[str, Any]]
    version: int | None = None  # a full-table snapshot's, activated by the finishing run

    @classmethod
    def from_state(cls, value: Any, stream: str) -> _Plan:
        try:
            return cls(
                str(value["plan"]),
                list(value["partitions"]),
                value.get("bound"),
                dict(value["done"]),
                value.get("version"),
            )
        except (KeyError, TypeError, ValueError):
            raise ProtocolError(
                f"the plan of stream {stream!r} kept in the state is malformed",
                where=f"state key {PROGRESS_KEY}",
                hint="`elt state clear` the pipeline's state id, or remove that key with "
                "`elt state set`, then run again (its units run again)",
            ) from None

    def as_state(self) -> dict[str, Any]:
        return {
            "plan": self.token,
            "partitions": self.partitions,
            "bound": self.bound,
            "done": self.done,
            "version": self.version,
        }

    def pending(self) -> list[dict[str, Any] | None]:
        return [p for p in self.partitions if _partition_id(p) not in self.done]


class Split:
    """One run, cut into units and handed to an executor; the state kept as they end."""

    def __init__(
        self,
        *,
        project: Project,
        request: RunRequest,
        state_id: str,
        supervisor: Supervisor,
        executor: Executor,
        stored: dict[str, Any] | None,
        keep: Callable[[dict[str, Any]], None],
        tap: Invocation,
        mappers: Sequence[Invocation],
        target: Invocation,
        workdir: Path,
        units: list[UnitSummary] | None = None,
    ) -> None:
        self.project = project
        self.request = request
        self.state_id = state_id
        self.supervisor = supervisor
        self.log: RunLog = supervisor.log
        self.executor = executor
        self.keep = keep
        self.invocations = [tap, *mappers, target]
        self.workdir = workdir
        self.state: dict[str, Any] = {} if request.full_refresh or not stored else dict(stored)
        if request.full_refresh:
            self.log.write("elt", "full refresh: the units start without the stored state")
        self.states = 0
        self.units = units if units is not None else []  # filled as units end
        self.completed: list[tuple[str, _Plan]] = []  # streams whose bookmark advanced

    @property
    def tap(self) -> Invocation:
        return self.invocations[0]

    def run(self) -> None:
        """Plan, run every unit not done yet, keep the state; raise the first unit failure."""
        catalog = self._catalog()
        plans = self._plans(catalog)
        self._store(_with_progress(self.state, plans))
        specs = [
            self._spec(stream, plan, partition, catalog)
            for stream, plan in plans.items()
            for partition in plan.pending()
        ]
        self.log.write(
            "elt",
            f"{len(specs)} unit{'s' if len(specs) != 1 else ''} of {len(plans)} "
            f"stream{'s' if len(plans) != 1 else ''} to run",
        )
        self.supervisor.followers.append(self.executor.interrupt)
        try:
            self.executor.run_units(specs, lambda result: self._done(result, plans))
            if self.supervisor.interrupted is not None:
                raise Interrupted(
                    f"interrupted by {signal_name(self.supervisor.interrupted)}",
                    signal_number=self.supervisor.interrupted,
                )
        except EltError as error:
            finished = {u.unit_id for u in self.units}
            failed = [s for s in specs if s.unit.id not in finished]
            self.units += [
                UnitSummary(s.unit.id, s.unit.stream, s.unit.partition, "", 0, 0.0, "not done", 1)
                for s in failed
            ]
            error.add_note(
                f"{len(self.units) - len(failed)} of {len(self.units)} units committed; "
                "the next run redoes only the others"
            )
            raise
        self._finish(catalog, plans)

    def _finish(self, catalog: Catalog | None, plans: dict[str, _Plan]) -> None:
        """The finishing run (:mod:`elt.run.finish`), then the versioned plans' bookmarks."""
        versioned = [(s, p) for s, p in plans.items() if p.version is not None]
        activations = [
            (entry, plan.version)
            for stream, plan in versioned
            if catalog is not None
            and (entry := catalog.get(stream)) is not None
            and plan.version is not None
        ]
        units = [
            unit_id(self.state_id, plan.token, stream or None, _partition_id(p) or None)
            for stream, plan in [*self.completed, *versioned]
            for p in plan.partitions
        ]
        token = "-".join(sorted(p.token for _, p in [*self.completed, *versioned])) or "none"
        run_finish(
            self.supervisor,
            self.invocations[-1],
            self.workdir,
            run_unit=unit_id(self.state_id, token, None, "finish"),
            units=units,
            activations=activations,
        )
        for stream, plan in versioned:
            self.state = _bookmarked(self.state, stream or None, plan)
            del plans[stream]
        if versioned:
            self._store(_with_progress(self.state, plans))

    def _catalog(self) -> Catalog | None:
        """The run's catalog (None: the tap takes none, so the run is one unit)."""
        if not _CATALOG_CAPABILITIES & self.tap.capabilities:
            self.log.write("elt", f"{self.tap.name} takes no catalog: the run is one unit")
            return None
        if self.tap.plugin.select or self.tap.plugin.metadata:
            path = build_catalog(self.supervisor, self.tap, self.workdir)
            return Catalog.from_dict(orjson.loads(path.read_bytes()), where=str(path))
        return discover(self.supervisor, self.tap, self.workdir)

    def _plans(self, catalog: Catalog | None) -> dict[str, _Plan]:
        """Each selected stream's plan: the stored one when a run left it unfinished."""
        stored = self.state.pop(PROGRESS_KEY, None) or {}
        if catalog is None:
            kept = stored.get(_WHOLE_RUN)
            whole = _Plan.from_state(kept, "all streams") if kept else _new_plan([None], None)
            return {_WHOLE_RUN: whole}
        entries = {entry.tap_stream_id: entry for entry in catalog.selected_streams()}
        plans = {s: _Plan.from_state(stored[s], s) for s in entries if s in stored}
        if len(plans) < len(entries):
            cut = self._partitions(catalog, [s for s in entries if s not in plans])
            for stream, entry in entries.items():
                if stream not in plans:
                    planned = cut.get(stream)
                    plans[stream] = (
                        _new_plan(planned["partitions"], planned.get("bound"), entry)
                        if planned
                        else _new_plan([None], None)
                    )
        return plans

    def _partitions(self, catalog: Catalog, streams: list[str]) -> dict[str, Any]:
        """The tap's plan for ``streams`` (``--partitions``); {} when it cannot partition."""
        if PARTITIONS not in self.tap.capabilities:
            return {}
        output = self.workdir / f"{self.tap.name}.partitions.json"
        arguments = [PLAN_FLAG, "--catalog", str(self._catalog_file(catalog, streams, "plan"))]
        if self.state:
            state_file = self.workdir / f"{self.tap.name}.plan-state.json"
            write_private(state_file, json.dumps(self.state).encode())
            arguments += ["--state", str(state_file)]
        with output.open("xb") as stream:
            process = self.supervisor.start(
                self.tap, self.tap.argv(*arguments), stdin=subprocess.DEVNULL, stdout=stream
            )
        if process.finish() != 0:
            errors = "; ".join(process.errors()) or "see the run log"
            raise PluginError(
                f"{self.tap.name} could not plan its partitions: {errors}",
                returncode=process.returncode,
            )
        process.release_errors()
        return _read_plan(output, self.tap.name)

    def _catalog_file(self, catalog: Catalog, streams: list[str], name: str) -> Path:
        path = self.workdir / f"{self.tap.name}.{name}.catalog.json"
        write_private(path, orjson.dumps(_restricted(catalog, streams)))
        return path

    def _spec(
        self,
        stream: str,
        plan: _Plan,
        partition: dict[str, Any] | None,
        catalog: Catalog | None,
    ) -> UnitSpec:
        pid = _partition_id(partition)
        identity = UnitIdentity(
            id=unit_id(self.state_id, plan.token, stream or None, pid or None),
            stream=stream or None,
            partition=pid or None,
        )
        request = None
        if partition is not None:
            request = PartitionRequest(stream, partition, plan.bound, plan.version)
        active = self.project.environment(self.request.environment)
        return UnitSpec(
            unit=identity,
            manifest=self.project.file.read_bytes(),
            environment=self.request.environment,
            plugins=tuple(i.name for i in self.invocations),
            configs={i.name: orjson.loads(i.config_file.read_bytes()) for i in self.invocations},
            secrets=tuple(s for i in self.invocations for s in i.secrets),
            env=dict(active.env) if active is not None else {},
            catalog=None if catalog is None else _restricted(catalog, [stream]),
            state=self.state or None,
            partition=request,
            record_lines=self.request.record_lines,
            stop_timeout=self.request.stop_timeout,
            root=str(self.project.root),
        )

    def _done(self, result: UnitResult, plans: Mapping[str, _Plan]) -> None:
        """Keep a finished unit: its last state as done, and the stream's bookmarks once
        every unit of the stream is done."""
        stream = result.stream or _WHOLE_RUN
        plan = plans[stream]
        plan.done[result.partition or ""] = result.states[-1] if result.states else {}
        name = (result.stream or "all streams") + (
            f"[{result.partition}]" if result.partition else ""
        )
        for line in result.log.splitlines():
            self.log.write(f"unit {name}", line, logging.DEBUG, console=False)
            source, _, text = line.partition(" ")[2].partition(" | ")
            self.log.metrics.feed(source, text)
        rows = sum(result.rows.values())
        self.units.append(
            UnitSummary(
                result.unit_id,
                result.stream,
                result.partition,
                result.worker,
                rows,
                result.seconds,
                "done",
                result.attempt,
            )
        )
        self.log.write(
            "elt", f"unit {name} done on {result.worker}: {rows} rows in {result.seconds:.1f} s"
        )
        if not plan.pending() and plan.version is None:
            self.state = _bookmarked(self.state, result.stream, plan)
            self.completed.append((stream, plan))
        self._store(_with_progress(self.state, plans))

    def _store(self, state: dict[str, Any]) -> None:
        self.keep(state)
        self.states += 1


def _with_progress(state: dict[str, Any], plans: Mapping[str, _Plan]) -> dict[str, Any]:
    """``state`` with the plans of the streams not done yet (none: the tap's state alone);
    a versioned plan stays until its finishing run has activated its version."""
    progress = {
        stream: plan.as_state()
        for stream, plan in plans.items()
        if plan.pending() or plan.version is not None
    }
    return {**state, PROGRESS_KEY: progress} if progress else dict(state)


def _new_plan(
    partitions: list[dict[str, Any] | None], bound: Any, entry: CatalogEntry | None = None
) -> _Plan:
    """A new plan; a partitioned full-table stream's gets the version its partitions' RECORDs
    carry and the finishing run activates (milliseconds now, as singer-sdk picks one)."""
    version = int(time.time() * 1000) if entry is not None and _full_table(entry) else None
    return _Plan(secrets.token_hex(6), partitions, bound, {}, version)


def _full_table(entry: CatalogEntry) -> bool:
    """A stream read whole each time: no replication key, or FULL_TABLE said."""
    root = entry.metadata.get((), {})
    method = root.get("replication-method") or entry.replication_method
    key = root.get("replication-key") or entry.replication_key
    return method == "FULL_TABLE" or (method is None and not key)


def _partition_id(partition: Mapping[str, Any] | None) -> str:
    return "" if partition is None else str(partition["id"])


def _bookmarked(state: dict[str, Any], stream: str | None, plan: _Plan) -> dict[str, Any]:
    """``state`` with the stream's bookmark from its units' last states: a stream's one
    unit's as it is; a partitioned stream's merged key by key (each partition's files, a
    bounded stream's same bookmark at ``bound``), keeping the greatest
    ``replication_key_value`` (:mod:`elt.protocol.partitions`). The whole state, merged,
    for the one unit of a run that is not split by stream."""
    if stream is None:
        merged = state
        for done in plan.done.values():
            merged = merge_state(merged, done)
        return merged
    found = [
        bookmark
        for done in plan.done.values()
        if isinstance(bookmark := (done.get("bookmarks") or {}).get(stream), dict)
    ]
    if not found:
        return state
    before = (state.get("bookmarks") or {}).get(stream)
    base: Mapping[str, Any] = before if isinstance(before, dict) else {}
    bookmark = found[0] if len(found) == 1 else dict(base)
    if len(found) > 1:
        # each partition's bookmark carries the run's starting one: only what it changed counts
        for other in found:
            bookmark = _greatest_key(deep_merge(bookmark, _changes(other, base)), bookmark, other)
    return {**state, "bookmarks": {**(state.get("bookmarks") or {}), stream: bookmark}}


def _changes(new: Mapping[str, Any], old: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of ``new`` whose values differ from ``old``'s, recursively."""
    changed: dict[str, Any] = {}
    for key, value in new.items():
        previous = old.get(key)
        if isinstance(value, Mapping) and isinstance(previous, Mapping):
            inner = _changes(value, previous)
            if inner:
                changed[key] = inner
        elif value != previous:
            changed[key] = value
    return changed


def _greatest_key(
    merged: dict[str, Any], first: Mapping[str, Any], second: Mapping[str, Any]
) -> dict[str, Any]:
    key = "replication_key_value"
    values = [v for v in (first.get(key), second.get(key)) if v is not None]
    try:
        if values:
            merged[key] = max(values)
    except TypeError:  # not comparable: the later partition's, as merged
        pass
    return merged


def _restricted(catalog: Catalog, streams: Sequence[str]) -> dict[str, Any]:
    """``catalog`` with only ``streams`` selected (the others left out)."""
    return {"streams": [e.to_dict() for e in catalog.streams if e.tap_stream_id in streams]}


def _read_plan(path: Path, tap: str) -> dict[str, Any]:
    """The ``streams`` of a tap's plan, checked (:mod:`elt.protocol.partitions`)."""
    where = f"{tap} {PLAN_FLAG} output"
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise ProtocolError(f"not valid JSON ({error})", where=where) from None
    streams = document.get("streams") if isinstance(document, dict) else None
    if not isinstance(streams, dict):
        raise ProtocolError('a plan must be an object with a "streams" object', where=where)
    for stream, entry in streams.items():
        partitions = entry.get("partitions") if isinstance(entry, dict) else None
        if not isinstance(partitions, list) or not partitions:
            raise ProtocolError(
                f'stream {stream!r}: "partitions" must be a non-empty array', where=where
            )
        ids = [p.get("id") if isinstance(p, dict) else None for p in partitions]
        if not all(isinstance(i, str) and i for i in ids) or len(set(ids)) != len(ids):
            raise ProtocolError(
                f"stream {stream!r}: each partition needs a unique, non-empty string id",
                where=where,
            )
    return streams
