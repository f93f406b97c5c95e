"""``elt job run NAME``: a job's tasks now, in order, with the run's parameters."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result

from core.tests.plugins import MAPPER, TAP, TARGET, ToyProject
from elt.history import Trigger, open_history

Elt = Callable[..., Result]
PLAIN = f"{TAP} {TARGET}"
MAPPED = f"{TAP} {MAPPER} {TARGET}"


def with_job(toy: ToyProject, *tasks: str, **keys: Any) -> None:
    document = json.loads((toy.root / "plugins.yml").read_text())
    document.update(jobs=[{"name": "nightly", "tasks": list(tasks)}], **keys)
    (toy.root / "plugins.yml").write_text(json.dumps(document))


def job_run(elt: Elt, toy: ToyProject, *args: str) -> Result:
    return elt("--project", str(toy.root), "job", "run", "nightly", *args)


def test_a_job_runs_its_tasks_in_order_printing_a_line_and_table_for_each(
    elt: Elt, toy: ToyProject
) -> None:
    toy.write(tap={"count": 2})
    with_job(toy, PLAIN, MAPPED)
    result = job_run(elt, toy)
    assert result.exit_code == 0, result.stderr
    with open_history(toy.root, None) as history:
        rows = list(reversed(history.list_runs()))
    assert [r.blocks for r in rows] == [(TAP, TARGET), (TAP, MAPPER, TARGET)]
    origins = {(r.origin.trigger, r.origin.schedule, r.origin.job) for r in rows}
    assert origins == {(Trigger.CLI, None, "nightly")}
    lines = result.stdout.splitlines()
    assert [line for line in lines if ": done in " in line] == [lines[0], lines[4]]
    assert lines[0].startswith(f"{TAP} -> {TARGET}: done in ")
    assert lines[0].endswith(f"({rows[0].run_id}, {rows[0].state_id})")
    assert lines[1].split() == ["STREAM", "ROWS", "ROWS/S", "SECONDS"]
    assert [line.split()[:2] for line in lines[2:4]] == [["items", "2"], ["others", "2"]]
    assert lines[4].startswith(f"{TAP} -> {MAPPER} -> {TARGET}: done in ")
    shown = elt("--project", str(toy.root), "runs", "show", rows[0].run_id).stdout
    assert "trigger:     cli, attempt 1, job nightly" in shown
    listed = elt("--project", str(toy.root), "runs", "list", "--job", "nightly", "--format", "json")
    assert [r["run_id"] for r in json.loads(listed.stdout)] == [rows[1].run_id, rows[0].run_id]
    other = elt("--project", str(toy.root), "runs", "list", "--job", "other", "--format", "json")
    assert json.loads(other.stdout) == []


def test_a_job_stops_at_the_first_failing_task_and_exits_with_its_error(
    elt: Elt, toy: ToyProject
) -> None:
    toy.write(tap={"count": 3}, mapper={"die_after": 1})
    with_job(toy, PLAIN, MAPPED, PLAIN)
    result = job_run(elt, toy)
    assert result.exit_code == 70
    assert result.stdout.startswith(f"{TAP} -> {TARGET}: done in ")
    assert sum(": done in " in line for line in result.stdout.splitlines()) == 1
    assert f"task 2 of 3 ({MAPPED}) failed" in result.stderr
    assert "not running the 1 waiting for it" in result.stderr
    # "; tap toy-tap was stopped" follows when the tap was still running when the mapper died
    assert f"error: mapper {MAPPER} exited with code 6: {MAPPER}: cannot map this record" in (
        result.stderr
    )
    with open_history(toy.root, None) as history:
        statuses = [(r.blocks, r.status.value) for r in reversed(history.list_runs())]
    assert statuses == [((TAP, TARGET), "success"), ((TAP, MAPPER, TARGET), "failed")]


def test_overrides_reach_every_task_that_runs_their_plugin(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 5})
    with_job(toy, PLAIN, MAPPED)
    result = job_run(
        elt, toy, "--config", f"{TAP}.count=2", "--config", f'{MAPPER}.rename={{"name": "n"}}'
    )
    assert result.exit_code == 0, result.stderr
    assert toy.ids() == [1, 2]  # the second task continues from the bookmark of the first
    with open_history(toy.root, None) as history:
        plain, mapped = reversed(history.list_runs())
    assert plain.overrides == {TAP: {"count": 2}}
    assert mapped.overrides == {TAP: {"count": 2}, MAPPER: {"rename": {"name": "n"}}}


def test_an_override_of_a_plugin_no_task_runs_is_refused(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 1})
    with_job(toy, PLAIN)
    result = job_run(elt, toy, "--config", f"{MAPPER}.rename={{}}")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --config {MAPPER}.rename: {MAPPER} is not a plugin of job nightly. "
        f"Override a setting of one of {TAP}, {TARGET}\n"
    )
    assert not toy.output.exists()


def test_a_job_runs_in_the_environment_given_and_retries_what_a_retry_can_fix(
    elt: Elt, toy: ToyProject, tmp_path: Path
) -> None:
    marker = tmp_path / "failed-once"
    toy.write(tap={"count": 1, "fail_once_marker": str(marker), "fail_once_after": 1})
    prod = {"name": "prod", "plugins": {"taps": [{"name": TAP, "config": {"count": 3}}]}}
    with_job(toy, PLAIN, environments=[prod])
    result = job_run(elt, toy, "--env", "prod", "--retries", "1", "--retry-delay", "0")
    assert result.exit_code == 0, result.stderr
    assert toy.ids() == [1, 2, 3]
    with open_history(toy.root, None) as history:
        retry, first = history.list_runs()
    assert (first.status.value, retry.origin.trigger) == ("failed", Trigger.RETRY)
    assert first.environment == retry.environment == "prod"
    conflict = elt(
        "--project", str(toy.root), "-e", "dev", "job", "run", "nightly", "--env", "prod"
    )
    assert conflict.exit_code == 2
    assert "two environments given: -e dev and --env prod" in conflict.stderr


def test_an_unknown_job_is_a_usage_error_naming_the_known_ones(elt: Elt, toy: ToyProject) -> None:
    toy.write()
    with_job(toy, PLAIN)
    result = elt("--project", str(toy.root), "job", "run", "nightyl")
    assert result.exit_code == 2
    assert result.stderr == 'error: no job named "nightyl". Known jobs: nightly\n'
