"""One run's plugins, pipes and stored states: the part of ``elt run`` between start and exit.

:mod:`elt.run.runner` prepares a run (lock, history, invocations, log) and hands it to a
:class:`Pipeline`, which starts the target and the mappers, discovers the catalog when the
tap needs one while they start up (a failed discovery gives them end of input: they exit
with nothing to commit), starts the tap joined to them by OS pipes, stores each state the
target commits, stops what is left when one fails, and names the plugin at fault (the
runner's module docstring says why it can be certain).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elt.errors import EltError, Interrupted, PluginError, ProtocolError
from elt.protocol import merge_state
from elt.run.catalog import build_catalog
from elt.run.invoker import Invocation, write_private
from elt.run.process import PluginProcess, Supervisor, describe_exit, signal_name

__all__ = ["Pipeline"]

_PIPE_BYTES = 1024 * 1024
_PREVIEW = 80


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


class Pipeline:
    """One tap-to-target run inside the lock, the private directory and the supervisor.

    ``stored`` is the state the tap starts from; ``keep`` is handed each new state (the
    target's merged over it) to store, and ``emitted`` each state as the target wrote it.
    ``catalog`` (a file) replaces discovery; ``tap_arguments`` go to the tap as well.

    ``whole`` (a unit of a split run) gives the target end of input only when everything
    upstream exited 0: the parent holds a copy of the write end of the target's input
    until then, and stops the target before it sees end of input when one failed, so a
    target committing a unit at end of input (elt's, with their unit ledgers) never
    commits a part of one. A local run's target commits what it got instead (a rerun
    continues from there).
    """

    def __init__(
        self,
        *,
        supervisor: Supervisor,
        stored: dict[str, Any] | None,
        keep: Callable[[dict[str, Any]], None],
        tap: Invocation,
        mappers: Sequence[Invocation] = (),
        target: Invocation,
        workdir: Path,
        catalog: Path | None = None,
        tap_arguments: Sequence[str] = (),
        emitted: Callable[[dict[str, Any]], None] = lambda value: None,
        whole: bool = False,
    ) -> None:
        self.stored = stored
        self.keep = keep
        self.supervisor = supervisor
        self.catalog = catalog
        self.tap_arguments = list(tap_arguments)
        self.emitted = emitted
        self.whole = whole
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

    def _tap_arguments(self, stored: dict[str, Any] | None, *, full_refresh: bool) -> list[str]:
        """``--catalog`` (discovered now, when the tap needs one) and ``--state`` files."""
        arguments = list(self.tap_arguments)
        if self.catalog is not None:
            arguments += ["--catalog", str(self.catalog)]
        elif self.tap.plugin.select or self.tap.plugin.metadata:
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
        return arguments

    def _run(self, *, full_refresh: bool) -> tuple[int, int]:
        stored = self.stored
        self.state = stored
        with contextlib.ExitStack() as held:
            # pipes[i] feeds consumers[i]; downstream starts first, so a plugin that cannot
            # start costs no extraction, and the parent closes each write end once given
            consumers = [*self.mappers, self.target]
            pipes = [held.enter_context(_Pipe()) for _ in consumers]
            gate = held.enter_context(_Gate(pipes[-1].write_end if self.whole else -1))
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
            # discovery runs while the target and mappers start up (both are mostly imports)
            try:
                arguments = self._tap_arguments(stored, full_refresh=full_refresh)
            except BaseException:
                pipes[0].close_write_end()  # no input: they exit with nothing to commit
                for process in (*mappers, target):
                    process.wait(self.supervisor.stop_timeout)
                raise
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
            if self.whole:
                gate.open_after(upstream, lambda: self.supervisor.stop(target))
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
        for process in (*upstream, target):
            if process.returncode == 0:
                process.release_errors()
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
            self.emitted(value)
            merged = merge_state(current, value)
            if merged == current:
                # the state the run started from, echoed (a target does so before it has
                # committed anything): nothing new to store or to count
                continue
            current = merged
            self.keep(current)
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
            what += _said(culprit)
        for other in chain:
            if other is culprit:
                continue
            if other.stopped:
                what += f"; {other.kind} {other.name} was stopped"
            elif other.returncode != 0:
                what += f"; {other.kind} {other.name} then {describe_exit(other.returncode)}"
                what += _said(other)
        # the plugin's own error says what happened; without one (a crash, a traceback)
        # the end of its stderr is the best clue
        tail = [] if culprit.errors() else culprit.tail()
        lines = [what + (". The last lines of its stderr:" if tail else ".")]
        lines += [f"  {line}" for line in tail]
        lines.append(f"{self._states_note()}; {self._next_run()}.")
        lines.append(f"Full log: {self.log.path}")
        return PluginError("\n".join(lines), returncode=returncode)

    def _interrupted(self) -> Interrupted:
        number = self.supervisor.interrupted or 2
        name = signal_name(number)
        self.log.write("elt", f"interrupted by {name}")
        return Interrupted(
            f"interrupted by {name}; {self._names()} were stopped. "
            f"{self._states_note()}; {self._next_run()}. "
            f"Full log: {self.log.path}",
            signal_number=number,
        )

    def _names(self) -> str:
        names = [self.tap.name, *(m.name for m in self.mappers), self.target.name]
        return ", ".join(names[:-1]) + " and " + names[-1]

    def _next_run(self) -> str:
        if self.whole:
            return "a rerun runs this unit again"
        return "the next run continues from the stored bookmark"

    def _states_note(self) -> str:
        if self.whole:  # a unit's states count only once it ends whole
            return "nothing of this unit was committed"
        if self.states == 0:
            return "no state was stored by this run"
        return f"{self.states} state{'s' if self.states > 1 else ''} stored by this run"


class _Gate:
    """A copy of the write end of a target's input, closed once everything upstream has
    exited: the target sees end of input then, not before (see ``Pipeline``'s ``whole``)."""

    def __init__(self, write_end: int) -> None:
        self._descriptor = os.dup(write_end) if write_end >= 0 else -1
        self._lock = threading.Lock()

    def open_after(
        self, upstream: Sequence[PluginProcess], stop_target: Callable[[], None]
    ) -> None:
        """In a thread: wait for ``upstream``; if one failed, ``stop_target`` before it sees
        end of input; then close the copy."""

        def watch() -> None:
            for process in upstream:
                process.wait()
            if any(p.returncode != 0 or p.stopped for p in upstream):
                stop_target()
            self.close()

        threading.Thread(target=watch, name="end of input", daemon=True).start()

    def close(self) -> None:
        with self._lock:
            if self._descriptor >= 0:
                os.close(self._descriptor)
                self._descriptor = -1

    def __enter__(self) -> _Gate:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


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


def _said(process: PluginProcess) -> str:
    """``: <its error messages>`` when the plugin logged any, else nothing."""
    errors = process.errors()
    return f": {'; '.join(e.rstrip('.') for e in errors)}" if errors else ""


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
