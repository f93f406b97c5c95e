"""``kill -9`` of a real ``elt run``: its plugins die with it, and no run starts beside one
that did not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from core.tests.plugins import TAP, ToyProject, is_alive, wait_for

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")


def bookmark_is(toy: ToyProject, value: int) -> bool:
    state = toy.state()
    return state is not None and state["bookmarks"]["items"]["id"] == value


@pytest.fixture
def survivors() -> Iterator[list[int]]:
    """Pids to kill at the end of the test, should a failed one leave them running."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if is_alive(pid):
            os.kill(pid, signal.SIGKILL)


def kill_elt_mid_run(toy: ToyProject, survivors: list[int]) -> list[int]:
    """Start a run whose tap hangs after 2 items, SIGKILL elt; the plugins' pids."""
    elt = toy.start_run()
    wait_for(lambda: bookmark_is(toy, 2))
    pids = [toy.report("tap.json")["pid"], toy.report("target.json")["pid"]]
    survivors += pids
    elt.kill()
    elt.communicate(timeout=10)
    return pids


def finish_run(toy: ToyProject) -> subprocess.CompletedProcess[str]:
    process = toy.start_run()
    stdout, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_the_plugins_of_an_elt_killed_by_sigkill_die_within_a_second(
    toy: ToyProject, survivors: list[int]
) -> None:
    toy.write(
        tap={"count": 10, "hang_after": 2, "report": str(toy.root / "tap.json")},
        target={"report": str(toy.root / "target.json")},
    )
    pids = kill_elt_mid_run(toy, survivors)
    killed = time.monotonic()
    wait_for(lambda: not any(is_alive(pid) for pid in pids), timeout=2)
    assert time.monotonic() - killed < 2
    toy.write(tap={"count": 4})
    rerun = finish_run(toy)  # right after: nothing of the dead run is left to run beside
    assert rerun.returncode == 0, rerun.stderr
    assert toy.ids() == [1, 2, 3, 4]


def test_a_new_run_refuses_to_start_beside_a_plugin_of_a_dead_run(
    toy: ToyProject, survivors: list[int]
) -> None:
    """A wrapper that runs the tap as its child (no ``exec``): the wrapper dies with elt,
    its child lives on, and the next run must not load beside it."""
    wrapper = toy.bin / "toy-tap-wrapper"
    wrapper.write_text(f'#!/bin/sh\n"{toy.bin / TAP}" "$@"\n')
    wrapper.chmod(0o755)
    toy.write(
        tap={"count": 10, "hang_after": 2, "report": str(toy.root / "tap.json")},
        target={"report": str(toy.root / "target.json")},
        executable=str(wrapper),
    )
    orphan = kill_elt_mid_run(toy, survivors)[0]
    try:
        time.sleep(0.5)
        assert is_alive(orphan)
        started = time.monotonic()
        refused = finish_run(toy)
        assert refused.returncode == 2, refused.stderr
        assert time.monotonic() - started < 10
        group = os.getpgid(orphan)
        assert refused.stderr.startswith(
            "error: plugins of an earlier run of 'default:toy-tap-to-toy-target' (run "
        )
        assert (
            f" gone) are still running: toy-tap (process group {group}); a new run would "
            f"load beside them. Stop them with `kill -- -{group}` and run again\n"
        ) in refused.stderr
        assert bookmark_is(toy, 2)
    finally:
        if is_alive(orphan):
            os.killpg(os.getpgid(orphan), signal.SIGKILL)
    wait_for(lambda: not is_alive(orphan))
    toy.write(tap={"count": 4}, executable=str(wrapper))
    rerun = finish_run(toy)
    assert rerun.returncode == 0, rerun.stderr
    assert toy.ids() == [1, 2, 3, 4]


def test_the_guard_is_free_after_a_run_that_ended(toy: ToyProject) -> None:
    toy.write(tap={"count": 2})
    for _ in range(2):
        done = finish_run(toy)
        assert done.returncode == 0, done.stderr
    assert toy.ids() == [1, 2]
