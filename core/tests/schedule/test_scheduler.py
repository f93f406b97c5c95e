"""The scheduler's decisions, on a fake clock and fake children: no real time passes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from elt.project import CatchUp, ScheduleSpec
from elt.schedule import Scheduler, next_fire

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    """Time moves only when the scheduler sleeps (or a test advances it)."""

    def __init__(self, now: datetime) -> None:
        self.current = now
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += timedelta(seconds=seconds)

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass
class FakeChild:
    pid: int
    code: int | None = None
    signals: list[int] = field(default_factory=list)
    killed: bool = False
    exit_on_term: bool = True

    def poll(self) -> int | None:
        return self.code

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)
        if self.exit_on_term:
            self.code = -sig

    def kill(self) -> None:
        self.killed = True
        self.code = -9


class Launches:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.started: list[tuple[str, datetime, FakeChild]] = []

    def __call__(self, spec: ScheduleSpec) -> FakeChild:
        child = FakeChild(pid=1000 + len(self.started))
        self.started.append((spec.name, self.clock.now(), child))
        return child

    def names(self) -> list[str]:
        return [name for name, _, _ in self.started]


def spec(name: str = "hourly", interval: str = "@hourly", **extra: object) -> ScheduleSpec:
    return ScheduleSpec.model_validate(
        {"name": name, "run": "tap target", "interval": interval, **extra}
    )


def scheduler(
    clock: FakeClock,
    *specs: ScheduleSpec,
    last: dict[str, datetime] | None = None,
    state_ids: dict[str, frozenset[str]] | None = None,
) -> tuple[Scheduler, Launches]:
    launches = Launches(clock)
    made = Scheduler(
        specs or (spec(),),
        launch=launches,
        last_started=(last or {}).get,
        clock=clock,
        state_ids=state_ids or {},
    )
    return made, launches


def test_a_schedule_fires_when_due_and_not_before() -> None:
    clock = FakeClock(T0 + timedelta(minutes=10))
    made, launches = scheduler(clock)
    made.start()
    assert made.next_at["hourly"] == T0 + timedelta(hours=1)
    wait = made.tick()
    assert launches.started == []
    assert wait == pytest.approx(50 * 60)
    clock.advance(seconds=wait)
    made.tick()
    assert launches.names() == ["hourly"]
    assert made.next_at["hourly"] == T0 + timedelta(hours=2)


def test_a_schedule_that_never_ran_waits_for_its_first_cron_time() -> None:
    clock = FakeClock(T0 + timedelta(minutes=59))
    made, launches = scheduler(clock, spec(catch_up="once"))
    made.start()
    made.tick()
    assert launches.started == []


def test_after_a_restart_the_next_firing_follows_the_last_run_in_the_history() -> None:
    clock = FakeClock(T0 + timedelta(minutes=30))
    made, launches = scheduler(clock, last={"hourly": T0 + timedelta(seconds=2)})
    made.start()
    assert launches.started == []
    assert made.next_at["hourly"] == T0 + timedelta(hours=1)


@pytest.mark.parametrize("policy", [CatchUp.ONCE, CatchUp.SKIP])
def test_firings_missed_while_down_run_once_or_are_skipped(
    policy: CatchUp, caplog: pytest.LogCaptureFixture
) -> None:
    # last ran at noon; the scheduler comes back at 15:30, three firings later
    clock = FakeClock(T0 + timedelta(hours=3, minutes=30))
    made, launches = scheduler(clock, spec(catch_up=policy.value), last={"hourly": T0})
    with caplog.at_level(logging.INFO, logger="elt.schedule"):
        made.start()
        made.tick()
    expected = ["hourly"] if policy is CatchUp.ONCE else []
    assert launches.names() == expected
    assert made.next_at["hourly"] == T0 + timedelta(hours=4)
    assert "missed the firing at 2024-05-01T13:00:00Z" in caplog.text
    assert ("catching up" in caplog.text) is (policy is CatchUp.ONCE)
    # and it does not fire again before 16:00
    clock.advance(minutes=29)
    made.tick()
    assert launches.names() == expected


def test_a_schedule_still_running_is_not_started_twice(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(T0 - timedelta(seconds=1))
    made, launches = scheduler(clock, spec(interval="* * * * *"))
    made.start()
    clock.advance(seconds=1)
    made.tick()
    assert launches.names() == ["hourly"]
    clock.advance(minutes=1)
    with caplog.at_level(logging.INFO, logger="elt.schedule"):
        made.tick()
    assert launches.names() == ["hourly"]
    assert "skipped the firing at 2024-05-01T12:01:00Z: its run of" in caplog.text
    launches.started[0][2].code = 0  # the first run ends
    clock.advance(minutes=1)
    made.tick()
    assert launches.names() == ["hourly", "hourly"]


def test_a_schedule_sharing_a_state_id_with_a_running_one_is_skipped() -> None:
    clock = FakeClock(T0 - timedelta(seconds=1))
    ids = frozenset({"default:tap-to-target"})
    made, launches = scheduler(
        clock,
        spec("a", "* * * * *"),
        spec("b", "*/2 * * * *"),
        state_ids={"a": ids, "b": ids},
    )
    made.start()
    clock.advance(seconds=1)
    made.tick()
    assert launches.names() == ["a"]  # b is due too, but a holds its state id


def test_stop_sends_sigterm_to_running_children_and_waits_for_them() -> None:
    clock = FakeClock(T0 - timedelta(seconds=1))
    made, launches = scheduler(clock, spec(interval="* * * * * *"))

    def sleep(seconds: float) -> None:
        FakeClock.sleep(clock, seconds)
        if clock.now() >= T0 + timedelta(seconds=2):
            made.stop()

    clock.sleep = sleep  # type: ignore[method-assign]
    made.run()
    children = [child for _, _, child in launches.started]
    assert len(children) == 1  # the first run was still going at each next second
    assert children[0].signals == [15]
    assert made.running == {}


def test_a_child_that_ignores_sigterm_is_killed_after_the_stop_timeout() -> None:
    clock = FakeClock(T0)
    made, launches = scheduler(clock, spec(interval="* * * * * *"))
    made.stop_timeout = 5
    made.start()
    clock.advance(seconds=1)
    made.tick()
    child = launches.started[0][2]
    child.exit_on_term = False
    made.shutdown()
    assert child.killed
    assert clock.now() >= T0 + timedelta(seconds=6)


def test_next_fire_understands_seconds_and_aliases() -> None:
    assert next_fire("* * * * * *", T0) == T0 + timedelta(seconds=1)
    assert next_fire("@daily", T0) == datetime(2024, 5, 2, tzinfo=UTC)
    assert next_fire("0 3 * * *", T0) == datetime(2024, 5, 2, 3, tzinfo=UTC)
