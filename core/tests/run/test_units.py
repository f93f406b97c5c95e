"""Units of a split run on this machine (``--executor local:N``) with the toy plugins: a
tap without a catalog runs as one unit, and an interruption stops the units in order."""

from __future__ import annotations

import json
import signal
import time

import pytest

from core.tests.plugins import STATE_ID, TAP, ToyProject, is_alive, wait_for
from elt.errors import ProtocolError
from elt.protocol import PROGRESS_KEY
from elt.run import RunRequest, run_pipeline
from elt.run.units import ThreadExecutor
from elt.state import LocalStateStore


def test_a_tap_without_a_catalog_runs_as_one_unit_and_its_state_is_stored(
    toy: ToyProject,
) -> None:
    toy.write(tap={"count": 3})
    project = toy.project()
    result = run_pipeline(
        project,
        RunRequest(TAP, "toy-target", executor="local:1"),
        executor=ThreadExecutor(project, 1),
    )
    assert [(u.stream, u.partition, u.status) for u in result.units] == [(None, None, "done")]
    assert toy.ids() == [1, 2, 3]
    assert toy.state(STATE_ID) is not None
    assert PROGRESS_KEY not in toy.state(STATE_ID)
    assert toy.state(STATE_ID)["bookmarks"]["items"]["id"] == 3


def test_an_interrupted_split_run_stops_its_unit_and_stores_no_part_of_it(
    toy: ToyProject,
) -> None:
    toy.write(tap={"count": 10, "hang_after": 2, "report": str(toy.root / "tap.json")})
    run = toy.start_run("--executor", "local:1")
    try:
        wait_for(lambda: (toy.root / "tap.json").exists() and len(toy.ids()) == 2)
        tap_pid = toy.report("tap.json")["pid"]
        run.send_signal(signal.SIGTERM)
        _, stderr = run.communicate(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 143, stderr
    assert "interrupted by SIGTERM" in stderr
    deadline = time.monotonic() + 5
    while is_alive(tap_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not is_alive(tap_pid)
    stored = toy.state(STATE_ID)
    assert stored is not None
    assert "bookmarks" not in stored  # the unit did not end: its states are not kept
    assert json.dumps(stored[PROGRESS_KEY])  # its plan is, for the rerun


def test_a_malformed_plan_kept_in_the_state_is_one_paragraph_naming_it(toy: ToyProject) -> None:
    toy.write(tap={"count": 3})
    LocalStateStore.in_project(toy.root).set(STATE_ID, {PROGRESS_KEY: {"": {"plan": "x"}}})
    project = toy.project()
    with pytest.raises(ProtocolError, match="the plan of stream 'all streams' kept in the state"):
        run_pipeline(
            project,
            RunRequest(TAP, "toy-target", executor="local:1"),
            executor=ThreadExecutor(project, 1),
        )
    assert toy.ids() == []
