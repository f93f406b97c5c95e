"""A job's tasks run in order, each a run in the history, and stop at the first failure."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.tests.plugins import MAPPER, TAP, TARGET, ToyProject
from elt.errors import PluginError, UsageError
from elt.history import Trigger, open_history
from elt.run import RunRequest, run_tasks
from elt.run.units import ThreadExecutor

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


def _intervals(toy: ToyProject) -> list[tuple[datetime, datetime]]:
    with open_history(toy.root, None) as history:
        runs = list(reversed(history.list_runs()))
    return [(r.started_at, r.ended_at) for r in runs if r.ended_at is not None]


def test_tasks_that_wait_for_nothing_run_together_on_an_executor_other_than_local(
    toy: ToyProject,
) -> None:
    toy.write(tap={"count": 4, "pace": 0.4})
    project = toy.project()
    requests = [RunRequest.task(f"{TAP} {TARGET}", executor="local:1", state_id=s) for s in "ab"]
    results = run_tasks(
        project,
        requests,
        waits=[frozenset(), frozenset()],
        executors=lambda address: ThreadExecutor(project, 1),
    )
    assert [r.state_id for r in results] == ["a", "b"]
    (first_start, first_end), (second_start, second_end) = _intervals(toy)
    assert second_start < first_end
    assert first_start < second_end


def test_a_failed_task_stops_only_the_tasks_waiting_for_it(toy: ToyProject) -> None:
    toy.write(tap={"count": 3})
    failing = RunRequest.task(f"{TAP} {TARGET}", state_id="bad", overrides={TAP: {"die_after": 1}})
    requests = [
        failing,
        RunRequest.task(f"{TAP} {TARGET}", state_id="after-bad"),
        RunRequest.task(f"{TAP} {TARGET}", state_id="independent"),
    ]
    with pytest.raises(PluginError, match=TAP):
        run_tasks(toy.project(), requests, waits=[frozenset(), frozenset({0}), frozenset()])
    with open_history(toy.root, None) as history:
        assert sorted(r.state_id for r in history.list_runs()) == ["bad", "independent"]
