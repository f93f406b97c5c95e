"""elt's public Python API (``from elt import Project``), end to end: tap-csv into a real
Postgres and into target-files, through the public surface only."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from elt import (
    EltError,
    JobResult,
    PluginError,
    Project,
    RunProgress,
    RunStatus,
    UsageError,
)

HEADER = "id,name,amount\n"
ROWS = ["1,one,1.50\n", "2,two,2.50\n", "3,three,3.50\n"]


def make_project(root: Path, pg_database: str, *, extra: str = "") -> Path:
    root.mkdir()
    (root / "data").mkdir()
    (root / "data" / "orders.csv").write_text(HEADER + "".join(ROWS), encoding="utf-8")
    (root / "plugins.yml").write_text(
        textwrap.dedent(
            f"""\
            version: 1
            default_environment: dev
            environments:
              - name: dev
            plugins:
              taps:
                - name: tap-csv
                  config:
                    files: [{{entity: orders, path: data/orders.csv, keys: [id]}}]
              targets:
                - name: target-postgres
                  config:
                    sqlalchemy_url: "{pg_database}"
                    default_target_schema: loaded
                - name: target-files
                  config:
                    path: out
            """
        )
        + textwrap.dedent(extra)
    )
    return root


def count(pg_database: str, table: str = "loaded.orders") -> int:
    with psycopg.connect(pg_database) as conn:
        found = conn.execute(f"select count(*) from {table}").fetchone()
    assert found is not None
    return int(found[0])


@pytest.fixture
def project(tmp_path: Path, pg_database: str) -> Project:
    return Project.open(make_project(tmp_path / "p", pg_database))


def test_a_run_returns_its_id_status_and_committed_rows_and_is_in_the_history(
    project: Project, pg_database: str
) -> None:
    result = project.run("tap-csv", "target-postgres")

    assert (result.ok, result.status, result.exit_code) == (True, RunStatus.SUCCESS, 0)
    assert (result.rows, result.rows_kind) == ({"orders": 3}, "committed")
    assert result.state_id == project.state_id("tap-csv", "target-postgres")
    assert result.state_id == "dev:tap-csv-to-target-postgres"
    assert count(pg_database) == 3
    [latest] = project.runs(limit=1)
    assert (latest.run_id, latest.status, dict(latest.rows)) == (
        result.run_id,
        RunStatus.SUCCESS,
        {"orders": 3},
    )
    assert project.get_run(result.run_id).state_id == result.state_id
    assert "tap-csv" in project.logs(result.run_id)
    assert json.loads(json.dumps(result.as_dict()))["rows"] == {"orders": 3}


def test_the_bookmark_makes_the_next_run_incremental_until_state_clear(
    project: Project, pg_database: str
) -> None:
    first = project.run("tap-csv", "target-postgres")
    state_id = first.state_id
    stored = project.state.get(state_id)
    assert stored is not None
    assert stored == first.state
    assert "orders" in stored["bookmarks"]
    assert project.state.list("dev:*") == [state_id]

    assert project.run("tap-csv", "target-postgres").rows == {"orders": 0}  # nothing new

    assert project.state.clear(state_id) is True
    assert project.state.get(state_id) is None
    assert project.state.clear(state_id) is False
    again = project.run("tap-csv", "target-postgres")
    assert again.rows == {"orders": 3}
    assert count(pg_database) == 3  # upserted by key, not duplicated


def test_state_set_replaces_the_bookmark_and_refuses_what_is_not_a_state(
    project: Project,
) -> None:
    state_id = project.state_id("tap-csv", "target-files")
    project.state.set(state_id, {"bookmarks": {"orders": {"files": {}}}})
    assert project.state.get(state_id) == {"bookmarks": {"orders": {"files": {}}}}
    with pytest.raises(UsageError) as refused:
        project.state.set(state_id, {"bookmarks": ["not", "an", "object"]})
    assert refused.value.exit_code == 2
    assert project.state.get(state_id) == {"bookmarks": {"orders": {"files": {}}}}


def test_config_applies_to_one_run_only_and_names_a_plugin_of_the_run(
    project: Project, pg_database: str
) -> None:
    result = project.run(
        "tap-csv",
        "target-postgres",
        config={"target-postgres.default_target_schema": "elsewhere"},
    )
    assert result.overrides == {"target-postgres": {"default_target_schema": "elsewhere"}}
    assert count(pg_database, "elsewhere.orders") == 3
    assert project.get_run(result.run_id).overrides == result.overrides

    runs_before = len(project.runs())
    with pytest.raises(UsageError) as refused:
        project.run("tap-csv", "target-postgres", config={"target-files.path": "x"})
    assert "target-files is not a plugin of the run" in str(refused.value)
    assert len(project.runs()) == runs_before  # refused before any run started


def missing_database(pg_database: str) -> dict[str, object]:
    url = pg_database.rsplit("/", 1)[0] + "/no_such_database_here"
    return {"target-postgres.sqlalchemy_url": url}


def test_a_failed_run_raises_its_class_and_exit_code_and_check_false_returns_it(
    project: Project, pg_database: str
) -> None:
    missing = missing_database(pg_database)
    with pytest.raises(EltError) as failed:
        project.run("tap-csv", "target-postgres", config=missing)
    error = failed.value
    assert isinstance(error, PluginError)
    assert (error.exit_code, error.retriable) == (78, False)
    assert "no_such_database_here" in str(error)
    [recorded] = project.runs(status="failed")
    assert (recorded.run_id, recorded.exit_code) == (error.run_id, 78)

    result = project.run("tap-csv", "target-postgres", config=missing, check=False)
    assert (result.ok, result.status, result.exit_code) == (False, RunStatus.FAILED, 78)
    assert isinstance(result.error, PluginError)
    assert result.as_dict()["error"] == str(result.error)
    assert len(project.runs(status="failed")) == 2


def test_a_retriable_failure_is_retried_as_asked_each_attempt_in_the_history(
    project: Project,
) -> None:
    closed = {"target-postgres.sqlalchemy_url": "postgresql://postgres@127.0.0.1:9/none"}
    with pytest.raises(EltError) as failed:
        project.run("tap-csv", "target-postgres", config=closed, retries=2, retry_delay=0)
    assert (failed.value.exit_code, failed.value.retriable) == (75, True)
    attempts = project.runs(status="failed")
    assert len(attempts) == 3
    assert attempts[0].run_id == failed.value.run_id  # the last attempt's error
    assert sorted(r.origin.attempt for r in attempts) == [1, 2, 3]


def test_progress_reaches_the_callback_and_ends_with_the_committed_rows(
    tmp_path: Path, pg_database: str
) -> None:
    root = make_project(tmp_path / "p", pg_database)
    lines = [f"{n},name {n},{n}.25\n" for n in range(1, 20_001)]
    (root / "data" / "orders.csv").write_text(HEADER + "".join(lines), encoding="utf-8")
    seen: list[RunProgress] = []

    result = Project.open(root).run(
        "tap-csv", "target-postgres", progress=seen.append, progress_interval=0.05
    )

    assert seen
    assert [p.done for p in seen].count(True) == 1
    assert seen[-1].done
    assert (seen[-1].tap, seen[-1].target, seen[-1].rows) == ("tap-csv", "target-postgres", 20_000)
    assert [(s.stream, s.rows) for s in seen[-1].streams] == [("orders", 20_000)]
    assert result.rows == {"orders": 20_000}
    assert all(a.rows <= b.rows for a, b in itertools.pairwise(seen))


def test_a_progress_callback_that_raises_does_not_fail_the_run(project: Project) -> None:
    calls: list[RunProgress] = []

    def broken(progress: RunProgress) -> None:
        calls.append(progress)
        raise RuntimeError("display broke")

    result = project.run("tap-csv", "target-files", progress=broken, progress_interval=0.01)
    assert result.ok
    assert len(calls) == 1  # not called again after it raised


JOBS = """\
jobs:
  - name: nightly
    tasks: ["tap-csv target-postgres", "tap-csv target-files"]
  - name: fragile
    tasks: ["tap-csv target-postgres", "tap-csv target-files"]
schedules:
  - name: every-night
    job: nightly
    interval: "0 3 * * *"
    timezone: Europe/Berlin
    retries: 2
"""


def test_a_job_runs_its_tasks_in_order_and_returns_a_result_per_task(
    tmp_path: Path, pg_database: str
) -> None:
    project = Project.open(make_project(tmp_path / "p", pg_database, extra=JOBS))
    finished: list[str] = []

    job = project.run_job("nightly", on_result=lambda r: finished.append(r.target))

    assert isinstance(job, JobResult)
    assert (job.ok, job.status, job.exit_code, job.skipped) == (True, RunStatus.SUCCESS, 0, ())
    assert list(job.results) == ["tap-csv target-postgres", "tap-csv target-files"]
    assert [r.rows for r in job.results.values()] == [{"orders": 3}, {"orders": 3}]
    assert finished == ["target-postgres", "target-files"]
    assert count(pg_database) == 3
    assert list((project.root / "out").rglob("*orders*"))
    assert {r.run_id for r in project.runs(job="nightly")} == {
        r.run_id for r in job.results.values()
    }


def test_a_failing_task_skips_those_waiting_for_it(tmp_path: Path, pg_database: str) -> None:
    project = Project.open(make_project(tmp_path / "p", pg_database, extra=JOBS))
    broken = missing_database(pg_database)

    with pytest.raises(PluginError) as failed:
        project.run_job("fragile", config=broken)
    assert failed.value.exit_code == 78

    job = project.run_job("fragile", config=broken, check=False)
    assert (job.ok, job.status, job.exit_code) == (False, RunStatus.FAILED, 78)
    assert list(job.results) == ["tap-csv target-postgres"]
    assert job.skipped == ("tap-csv target-files",)
    assert not (project.root / "out").exists()


def test_the_project_lists_its_plugins_jobs_schedules_and_streams(
    tmp_path: Path, pg_database: str
) -> None:
    project = Project.open(make_project(tmp_path / "p", pg_database, extra=JOBS))
    assert project.environment == "dev"
    assert [(p.name, p.kind.value) for p in project.plugins] == [
        ("tap-csv", "tap"),
        ("target-postgres", "target"),
        ("target-files", "target"),
    ]
    assert [(j.name, j.tasks[0]) for j in project.jobs] == [
        ("nightly", "tap-csv target-postgres"),
        ("fragile", "tap-csv target-postgres"),
    ]
    [schedule] = project.schedules
    assert (schedule.job, schedule.interval, schedule.timezone, schedule.retries) == (
        "nightly",
        "0 3 * * *",
        "Europe/Berlin",
        2,
    )
    assert project.streams("tap-csv") == ["orders"]


def test_a_schedule_runs_its_job_recorded_as_runs_of_the_schedule(
    tmp_path: Path, pg_database: str
) -> None:
    project = Project.open(make_project(tmp_path / "p", pg_database, extra=JOBS))
    job = project.run_schedule("every-night")
    assert job.ok
    assert {(r.origin.schedule, r.origin.job) for r in project.runs()} == {
        ("every-night", "nightly")
    }


def test_open_finds_the_project_upwards_and_refuses_an_unknown_environment(
    tmp_path: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path / "p", pg_database)
    monkeypatch.chdir(root / "data")
    monkeypatch.delenv("ELT_PROJECT_ROOT", raising=False)
    assert Project.open().root == root.resolve()
    with pytest.raises(EltError) as unknown:
        Project.open(root, environment="prdo")
    assert unknown.value.exit_code == 78
    assert 'unknown environment "prdo"' in str(unknown.value)


def test_the_api_prints_nothing_and_import_elt_loads_no_run_machinery(
    tmp_path: Path, pg_database: str
) -> None:
    root = make_project(tmp_path / "p", pg_database)
    script = f"""
import sys, elt
assert "elt.run" not in sys.modules and "elt.api" not in sys.modules, sorted(sys.modules)
from elt import Project
result = Project.open({str(root)!r}).run("tap-csv", "target-files")
assert result.rows == {{"orders": 3}}, result.rows
failed = Project.open({str(root)!r}).run(
    "tap-csv", "target-files", config={{"target-files.path": "/proc/elt-nope"}}, check=False
)
assert failed.exit_code == 75, failed.exit_code
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("", "")


def test_the_history_pages_counts_and_sums_up_pipelines_for_a_monitor(
    project: Project, pg_database: str
) -> None:
    first = project.run("tap-csv", "target-postgres")
    project.run("tap-csv", "target-files")
    project.run("tap-csv", "target-postgres", config=missing_database(pg_database), check=False)

    assert project.count_runs() == 3
    assert project.count_runs(status="failed") == 1
    assert [r.run_id for r in project.runs(limit=1, offset=2)] == [first.run_id]
    assert project.runs(since=datetime.now(UTC) + timedelta(minutes=1)) == []
    by_id = {p.state_id: p for p in project.pipelines()}
    postgres = by_id["dev:tap-csv-to-target-postgres"]
    assert (postgres.runs, postgres.successes, postgres.failures) == (2, 1, 1)
    assert (postgres.success_rate, postgres.last_status) == (0.5, RunStatus.FAILED)
    points = project.run_series("dev:tap-csv-to-target-postgres")
    assert [(p.run_id, p.rows) for p in points][:1] == [(first.run_id, 3)]
    assert points[0].duration == pytest.approx(first.duration, abs=0.1)


def test_a_runs_progress_and_log_are_read_back_from_its_log(project: Project) -> None:
    result = project.run("tap-csv", "target-files")
    [stream] = project.run_progress(result.run_id)
    assert (stream.stream, stream.rows, stream.done) == ("orders", 3, True)
    followed = "".join(project.follow_log(result.run_id))
    assert followed == project.logs(result.run_id)
    with pytest.raises(UsageError):
        project.run_progress("20990101T000000Z-000000")


def test_settings_are_shown_with_their_source_and_secrets_redacted(
    tmp_path: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TARGET_POSTGRES_PASSWORD", "hunter2-secret")
    project = Project.open(make_project(tmp_path / "p", pg_database))
    shown = {s.name: s for s in project.settings("target-postgres")}
    assert (shown["password"].value, shown["password"].secret) == ("********", True)
    assert shown["password"].source == "env TARGET_POSTGRES_PASSWORD"
    assert shown["default_target_schema"].value == "loaded"
    assert "hunter2-secret" not in repr(project.settings("target-postgres"))


def test_a_schedule_started_in_a_child_process_is_recorded_with_its_trigger(
    tmp_path: Path, pg_database: str
) -> None:
    project = Project.open(make_project(tmp_path / "p", pg_database, extra=JOBS))
    after = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    firing = project.next_firing("every-night", after)
    assert (firing.isoformat(), str(firing.tzinfo)) == (
        "2026-03-29T03:00:00+02:00",
        "Europe/Berlin",
    )
    child = project.start_schedule("every-night")
    assert child.wait(timeout=120) == 0
    runs = project.runs(schedule="every-night")
    assert [(r.origin.trigger.value, r.status) for r in runs] == [("ui", RunStatus.SUCCESS)] * 2
