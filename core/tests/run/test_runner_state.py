"""run_pipeline with each state backend: where the bookmark goes, and the run lock's lease."""

from __future__ import annotations

import logging
import time

import pytest

from core.tests.plugins import STATE_ID, TAP, TARGET, ToyProject, wait_for
from core.tests.state.backends import NAMES, Backend, make_backend
from elt.errors import UsageError
from elt.run import RunRequest, run_pipeline


@pytest.fixture(params=NAMES)
def backend(
    request: pytest.FixtureRequest, toy: ToyProject, monkeypatch: pytest.MonkeyPatch
) -> Backend:
    return make_backend(request.param, request, toy.root, monkeypatch)


def test_a_run_keeps_its_bookmark_in_the_configured_backend_and_continues_from_it(
    toy: ToyProject, backend: Backend
) -> None:
    toy.write(tap={"count": 3})
    backend.configure(toy.root)
    run_pipeline(toy.project(), RunRequest(TAP, TARGET))
    toy.write(tap={"count": 5, "report": str(toy.root / "tap.json")})
    backend.configure(toy.root)
    result = run_pipeline(toy.project(), RunRequest(TAP, TARGET))
    assert toy.report("tap.json")["state"] == {"bookmarks": {"items": {"id": 3}}}
    assert (result.states_stored, toy.ids()) == (2, [1, 2, 3, 4, 5])
    store = backend.open()
    assert store.get(STATE_ID) == {"bookmarks": {"items": {"id": 5}}}
    store.close()
    if backend.url is not None:
        assert not (toy.root / ".elt" / "state").exists()


def test_a_second_run_is_refused_while_the_first_renews_its_lease_and_force_runs_anyway(
    toy: ToyProject,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend = make_backend("s3", request, toy.root, monkeypatch)
    backend.settings["lease_seconds"] = 0.6
    store = backend.open()
    toy.write(tap={"count": 10, "hang_after": 2})
    backend.configure(toy.root)
    first = toy.start_run()
    try:
        wait_for(lambda: store.get(STATE_ID) == {"bookmarks": {"items": {"id": 2}}})
        with pytest.raises(UsageError) as raised:
            run_pipeline(toy.project(), RunRequest(TAP, TARGET))
        message = str(raised.value)
        assert f"state '{STATE_ID}' is in use by run " in message
        assert f"(pid {first.pid}, log " in message
        assert " on host " in message
        toy.write(tap={"count": 4})
        backend.configure(toy.root)
        caplog.set_level(logging.WARNING, logger="elt")
        result = run_pipeline(toy.project(), RunRequest(TAP, TARGET, force=True))
        assert result.state == {"bookmarks": {"items": {"id": 4}}}
        assert f"--force: taking the lock of '{STATE_ID}' from run " in caplog.text
        time.sleep(0.5)  # the first run's next renewal finds the lock taken
    finally:
        first.send_signal(15)
        _, stderr = first.communicate(timeout=30)
        store.close()
    assert f"lost the lock of '{STATE_ID}' to another run" in stderr
