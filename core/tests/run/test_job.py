"""A job's tasks run in order, each a run in the history, and stop at the first failure."""

from __future__ import annotations

import pytest

from core.tests.plugins import MAPPER, TAP, TARGET, ToyProject
from elt.errors import PluginError, UsageError
from elt.history import Trigger, open_history
from elt.run import RunRequest, run_tasks

TASKS = [f"{TAP} {TARGET}", f"{TAP} {MAPPER} {TARGET}"]


def test_tasks_run_in_order_as_runs_of_the_schedule(toy: ToyProject) -> None:
    toy.write(tap={"count": 2})
    requests = [RunRequest.task(t, trigger=Trigger.SCHEDULE, schedule="nightly") for t in TASKS]
    results = run_tasks(toy.project(), requests)
    assert [r.mappers for r in results] == [(), (MAPPER,)]
    with open_history(toy.root, None) as history:
        rows = list(reversed(history.list_runs()))
    assert [r.blocks for r in rows] == [(TAP, TARGET), (TAP, MAPPER, TARGET)]
    assert {(r.origin.trigger, r.origin.schedule) for r in rows} == {(Trigger.SCHEDULE, "nightly")}


def test_a_job_stops_at_the_first_failing_task(toy: ToyProject) -> None:
    toy.write(tap={"count": 10, "die_after": 2})
    with pytest.raises(PluginError, match=TAP):
        run_tasks(toy.project(), [RunRequest.task(t) for t in TASKS])
    with open_history(toy.root, None) as history:
        rows = history.list_runs()
    assert [r.blocks for r in rows] == [(TAP, TARGET)]


def test_overrides_go_to_each_task_running_their_plugin(toy: ToyProject) -> None:
    toy.write(tap={"count": 5})
    with pytest.raises(UsageError, match="config overrides of a plugin outside the tasks: nope"):
        run_tasks(toy.project(), [RunRequest.task(t) for t in TASKS], overrides={"nope": {"x": 1}})
    overrides = {TAP: {"count": 1}, MAPPER: {"rename": {"id": "key"}}}
    requests = [RunRequest.task(t, overrides=overrides) for t in TASKS]
    run_tasks(toy.project(), requests, overrides=overrides)
    with open_history(toy.root, None) as history:
        plain, mapped = reversed(history.list_runs())
    assert plain.overrides == {TAP: {"count": 1}}
    assert mapped.overrides == overrides
