"""The scheduler's loop: when each schedule fires, what it starts, and how it stops.

The loop owns no clock and starts no process itself: time comes from a :class:`Clock`
(``now()`` and ``sleep()``; tests pass a fake one) and each firing calls a launcher that
returns a :class:`Child` (a :class:`subprocess.Popen` in production, see
:mod:`elt.schedule.launch`). Runs happen in child processes so that a run that crashes,
leaks or hangs never takes the scheduler with it, and so that each is an ordinary
``elt schedule run`` with its own history rows, log and state lock.

Decisions, each logged (``elt.schedule``) as it is taken:

- **Start.** A schedule's next firing is the first cron time after the latest run of it in
  the run history, so a restarted scheduler knows what already ran. A schedule that never
  ran waits for its first cron time after now.
- **Catch-up.** A firing that passed while no scheduler ran (or while this one could not
  keep up: it is late by more than one cron period) is *missed*. ``catch_up: once`` runs it
  once, now, however many were missed; ``skip`` waits for the next cron time.
- **Overlap.** A schedule whose previous run is still going is not started again: that
  firing is skipped (the state lock would refuse the second run anyway; skipping keeps
  firings from piling up). So is a schedule one of whose state ids a running schedule of
  another name uses.
- **Stop.** :meth:`Scheduler.stop` (SIGTERM, SIGINT) ends the loop: no run starts after
  it, each running child gets SIGTERM (it stops its plugins and records the run as
  interrupted, keeping the bookmarks committed so far), and the scheduler waits for them
  up to ``stop_timeout``, then kills what is left.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from elt.project import CatchUp, ScheduleSpec
from elt.schedule.cron import next_fire

__all__ = ["DEFAULT_POLL", "Child", "Clock", "Scheduler", "SystemClock"]

DEFAULT_POLL = 0.5
_log = logging.getLogger("elt.schedule")


class Clock(Protocol):
    """Where the scheduler reads the time and waits."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (or less, if the wait is interrupted)."""


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


class Child(Protocol):
    """A started run, as :class:`subprocess.Popen` is one."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def send_signal(self, sig: int) -> None: ...

    def kill(self) -> None: ...


Launcher = Callable[[ScheduleSpec], Child]


@dataclass
class _Running:
    child: Child
    due: datetime
    state_ids: frozenset[str]


@dataclass
class Scheduler:
    """Fires ``schedules`` on their cron times through ``launch``; see the module docstring.

    ``last_started(name)`` is when the latest run of a schedule started, from the run
    history (None: never). ``state_ids`` maps a schedule's name to the state ids its runs
    lock. ``poll`` bounds each sleep, so finished children are noticed and a stop is acted
    on within it.
    """

    schedules: Iterable[ScheduleSpec]
    launch: Launcher
    last_started: Callable[[str], datetime | None]
    clock: Clock = field(default_factory=SystemClock)
    state_ids: Mapping[str, frozenset[str]] = field(default_factory=dict)
    poll: float = DEFAULT_POLL
    stop_timeout: float = 60.0
    next_at: dict[str, datetime] = field(default_factory=dict, init=False)
    running: dict[str, _Running] = field(default_factory=dict, init=False)
    _stopping: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.schedules = list(self.schedules)

    def run(self) -> None:
        """Fire schedules until :meth:`stop` is called, then stop the running children."""
        self.start()
        while not self._stopping:
            self.clock.sleep(min(self.tick(), self.poll))
        self.shutdown()

    def stop(self, signal_number: int | None = None) -> None:
        """Start no more runs; the loop stops the running ones and returns (signal-safe)."""
        self._stopping = True

    def start(self) -> None:
        """Work out every schedule's next firing from the history; catch up what was missed."""
        now = self.clock.now()
        for spec in self._schedules():
            last = self.last_started(spec.name)
            if last is None:
                self.next_at[spec.name] = next_fire(spec.interval, now, spec.timezone)
                _log.info(
                    "%s: no run in the history; next at %s", spec.name, _at(self.next_at[spec.name])
                )
                continue
            due = next_fire(spec.interval, last, spec.timezone)
            if due > now:
                self.next_at[spec.name] = due
                _log.info("%s: last run started %s; next at %s", spec.name, _at(last), _at(due))
                continue
            self._missed(spec, due, since=last)
            if spec.catch_up is CatchUp.ONCE:
                self._fire(spec, due)
            self.next_at[spec.name] = next_fire(spec.interval, now, spec.timezone)
            _log.info("%s: next at %s", spec.name, _at(self.next_at[spec.name]))

    def tick(self) -> float:
        """Notice finished runs and fire due schedules; seconds until the next firing."""
        now = self.clock.now()
        self._reap()
        for spec in self._schedules():
            due = self.next_at[spec.name]
            if due > now or self._stopping:
                continue
            late = next_fire(spec.interval, due, spec.timezone) <= now
            if late:
                self._missed(spec, due, since=None)
            if not late or spec.catch_up is CatchUp.ONCE:
                self._fire(spec, due)
            self.next_at[spec.name] = next_fire(spec.interval, now, spec.timezone)
            _log.info("%s: next at %s", spec.name, _at(self.next_at[spec.name]))
        if not self.next_at:
            return self.poll
        soonest = min(self.next_at.values())
        return max(0.0, (soonest - self.clock.now()).total_seconds())

    def shutdown(self) -> None:
        """SIGTERM every running child and wait for them, up to ``stop_timeout``."""
        self._stopping = True
        self._reap()
        if not self.running:
            _log.info("stopped: no run was going")
            return
        names = ", ".join(f"{name} (pid {r.child.pid})" for name, r in self.running.items())
        _log.info("stopping: no new runs; sending SIGTERM to %s", names)
        for entry in self.running.values():
            with contextlib.suppress(ProcessLookupError):
                entry.child.send_signal(signal.SIGTERM)
        deadline = self.clock.now() + timedelta(seconds=self.stop_timeout)
        while self.running and self.clock.now() < deadline:
            self.clock.sleep(min(self.poll, 0.1))
            self._reap()
        for name, entry in self.running.items():
            _log.warning(
                "%s: run (pid %d) still going %.0f s after SIGTERM; killed",
                name,
                entry.child.pid,
                self.stop_timeout,
            )
            entry.child.kill()
        self.running.clear()
        _log.info("stopped")

    def _schedules(self) -> list[ScheduleSpec]:
        return list(self.schedules)

    def _missed(self, spec: ScheduleSpec, due: datetime, *, since: datetime | None) -> None:
        after = f" (last run started {_at(since)})" if since is not None else ""
        action = (
            "catching up: running it once now"
            if spec.catch_up is CatchUp.ONCE
            else "catch_up is skip: not running it"
        )
        _log.info("%s: missed the firing at %s%s; %s", spec.name, _at(due), after, action)

    def _fire(self, spec: ScheduleSpec, due: datetime) -> None:
        previous = self.running.get(spec.name)
        if previous is not None:
            _log.warning(
                "%s: skipped the firing at %s: its run of %s (pid %d) is still going",
                spec.name,
                _at(due),
                _at(previous.due),
                previous.child.pid,
            )
            return
        ids = self.state_ids.get(spec.name, frozenset())
        for name, entry in self.running.items():
            shared = ids & entry.state_ids
            if shared:
                _log.warning(
                    "%s: skipped the firing at %s: schedule %s (pid %d) is running state id %s",
                    spec.name,
                    _at(due),
                    name,
                    entry.child.pid,
                    ", ".join(sorted(shared)),
                )
                return
        try:
            child = self.launch(spec)
        except OSError as error:
            _log.error("%s: could not start its run: %s", spec.name, error)
            return
        self.running[spec.name] = _Running(child, due, ids)
        _log.info("%s: fired (due %s): pid %d", spec.name, _at(due), child.pid)

    def _reap(self) -> None:
        for name, entry in list(self.running.items()):
            code = entry.child.poll()
            if code is None:
                continue
            del self.running[name]
            if code == 0:
                _log.info("%s: run of %s finished", name, _at(entry.due))
            else:
                _log.warning(
                    "%s: run of %s failed with exit code %d (see elt runs list)",
                    name,
                    _at(entry.due),
                    code,
                )


def _at(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
