"""Ctrl-C and kill on a real ``elt run`` process: plugins stopped, state kept, 130/143."""

from __future__ import annotations

import signal
import time

import pytest

from core.tests.plugins import ToyProject, is_alive, wait_for


def bookmark_is(toy: ToyProject, value: int) -> bool:
    state = toy.state()
    return state is not None and state["bookmarks"]["items"]["id"] == value


@pytest.mark.parametrize(
    ("signal_number", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)]
)
def test_a_signal_to_elt_stops_both_plugins_keeps_the_state_and_exits_128_plus_it(
    toy: ToyProject, signal_number: int, exit_code: int
) -> None:
    toy.write(
        tap={"count": 10, "hang_after": 3, "report": str(toy.root / "tap.json")},
        target={"report": str(toy.root / "target.json")},
    )
    elt = toy.start_run()
    wait_for(lambda: bookmark_is(toy, 3))
    pids = [toy.report("tap.json")["pid"], toy.report("target.json")["pid"]]
    elt.send_signal(signal_number)
    _, stderr = elt.communicate(timeout=30)
    assert elt.returncode == exit_code
    name = signal.Signals(signal_number).name
    assert stderr.startswith(
        f"error: interrupted by {name}; toy-tap and toy-target were stopped. "
        "3 states stored by this run; the next run continues from the stored bookmark. "
        "Full log: "
    )
    assert not any(is_alive(pid) for pid in pids)
    assert bookmark_is(toy, 3)
    assert toy.ids() == [1, 2, 3]
    assert "toy-tap | INFO toy-tap: got SIGTERM, stopping" in toy.logs()[0].read_text()


def test_plugins_that_ignore_sigterm_are_killed_after_the_stop_timeout(toy: ToyProject) -> None:
    toy.write(
        tap={"count": 10, "hang_after": 2, "ignore_sigterm": True, "report": str(toy.root / "t")},
        target={"ignore_sigterm": True, "report": str(toy.root / "u")},
    )
    elt = toy.start_run("--stop-timeout", "0.5")
    wait_for(lambda: bookmark_is(toy, 2))
    pids = [toy.report("t")["pid"], toy.report("u")["pid"]]
    started = time.monotonic()
    elt.send_signal(signal.SIGINT)
    elt.communicate(timeout=30)
    assert time.monotonic() - started < 5
    assert elt.returncode == 130
    assert not any(is_alive(pid) for pid in pids)
    log = toy.logs()[0].read_text()
    assert "toy-target | INFO toy-target: got SIGTERM, ignoring it" in log
    assert "toy-tap still running 0.5 s after SIGTERM; sending SIGKILL" in log
    assert bookmark_is(toy, 2)


def test_a_second_ctrl_c_kills_the_plugins_at_once(toy: ToyProject) -> None:
    toy.write(
        tap={"count": 10, "hang_after": 2, "ignore_sigterm": True, "report": str(toy.root / "t")},
        target={"ignore_sigterm": True},
    )
    elt = toy.start_run("--stop-timeout", "60")
    wait_for(lambda: bookmark_is(toy, 2))
    started = time.monotonic()
    elt.send_signal(signal.SIGINT)
    wait_for(lambda: "ignoring it" in toy.logs()[0].read_text())
    elt.send_signal(signal.SIGINT)
    elt.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert elt.returncode == 130
    assert not is_alive(toy.report("t")["pid"])
