"""elt.integrations.prefect in real Prefect: its venv (tests/fixtures/orchestrators.py) runs
each test's script against one local Prefect server for the module, loading CSV files into
real Postgres through elt; the test then reads what happened from Postgres, from elt's run
history and from what the script read back from Prefect's API.

Prefect's server takes 15-25 s to start on two cores, so the module shares one (the
``prefect_server`` fixture) and each script pays only Prefect's import and its own runs.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from elt import Project
from tests.fixtures.orchestrators import orchestrator_env, orchestrator_venv
from tests.fixtures.services import free_port
from tests.readme.examples import all_examples

SERVER_START_TIMEOUT = 180.0
SCRIPT_TIMEOUT = 240.0

CSV_FILES = {
    "orders.csv": "id,amount\n1,10.50\n2,20.00\n3,0.10\n",
    "customers.csv": "id,name\n1,Ada\n2,Grace\n",
    "totals.csv": "id,total\n1,30.60\n",
}


@dataclass(frozen=True)
class PrefectServer:
    """A Prefect server on 127.0.0.1 and the environment of a script that talks to it."""

    python: Path
    env: dict[str, str]
    url: str


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    venv = orchestrator_venv("prefect")
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = orchestrator_env(
        venv,
        {
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_ENABLED": "false",
            # elt's own log lines reach each task run's log in Prefect
            "PREFECT_LOGGING_EXTRA_LOGGERS": "elt",
        },
    )
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [str(venv / "bin" / "prefect"), "server", "start", "--host", "127.0.0.1",
         "--port", str(port), "--no-ui", "--analytics-off"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_until_healthy(url, server, home / "server.log")
        yield PrefectServer(venv / "bin" / "python", env, url)
    finally:
        # its own process group: the server and the services it started, by its id
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _wait_until_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the Prefect server exited:\n{log.read_text()}"
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    pytest.fail(
        f"the Prefect server did not answer within {SERVER_START_TIMEOUT} s:\n{log.read_text()}"
    )


def make_project(root: Path, pg_database: str) -> Path:
    """Three CSV taps (inheriting tap-csv) into Postgres; target-down is Postgres on a port
    where nothing listens. Jobs: nightly (orders and customers side by side, then totals),
    broken (a missing file; customers waits for it) and down (a load that cannot connect),
    and a schedule of each but broken's, whose interval has seconds Prefect cannot keep."""
    root.mkdir()
    for name, text in CSV_FILES.items():
        (root / name).write_text(text)
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    (root / "plugins.yml").write_text(
        textwrap.dedent(
            f"""\
            version: 1
            plugins:
              taps:
                - name: tap-csv
                  config: {{files: [{{entity: orders, path: orders.csv, keys: [id]}}]}}
                - name: tap-customers
                  inherit_from: tap-csv
                  config: {{files: [{{entity: customers, path: customers.csv, keys: [id]}}]}}
                - name: tap-totals
                  inherit_from: tap-csv
                  config: {{files: [{{entity: totals, path: totals.csv, keys: [id]}}]}}
                - name: tap-missing
                  inherit_from: tap-csv
                  config: {{files: [{{entity: ghosts, path: missing.csv, keys: [id]}}]}}
              targets:
                - name: target-postgres
                  config: {{sqlalchemy_url: "{pg_database}", default_target_schema: loaded}}
                - name: target-down
                  inherit_from: target-postgres
                  config: {{sqlalchemy_url: "{closed}"}}
            jobs:
              - name: nightly
                tasks: [tap-csv target-postgres, tap-customers target-postgres,
                        tap-totals target-postgres]
                depends_on:
                  tap-csv target-postgres: []
                  tap-customers target-postgres: []
                  tap-totals target-postgres: [tap-csv target-postgres,
                                               tap-customers target-postgres]
              - name: broken
                tasks: [tap-missing target-postgres, tap-csv target-postgres,
                        tap-customers target-postgres]
                depends_on:
                  tap-csv target-postgres: []
                  tap-customers target-postgres: [tap-missing target-postgres]
              - name: down
                tasks: [tap-csv target-down]
            schedules:
              - {{name: hourly-down, job: down, interval: "@hourly", retries: 1, retry_delay: 0}}
              - {{name: nightly-berlin, job: nightly, interval: "30 3 * * *",
                 timezone: Europe/Berlin}}
              - {{name: broken-seconds, job: broken, interval: "0 4 * * * 30"}}
            """
        )
    )
    return root


def run_script(server: PrefectServer, project: Path, script: str) -> dict[str, Any]:
    """Run ``script`` in the Prefect venv, in ``project``; what it wrote to ``OUT`` (JSON).
    The script gets ``PROJECT`` and ``OUT`` as globals, and ``task_runs(flow_state, n)``:
    the state of each of the flow run's ``n`` task runs by name, read back from the server
    once it has recorded them all in their last state (it records them from events)."""
    out = project / "script-output.json"
    prelude = textwrap.dedent(
        f"""\
        import json, time
        PROJECT, OUT = {str(project)!r}, {str(out)!r}

        def task_runs(flow_state, expected):
            from prefect.client.orchestration import get_client
            from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
            flow_run = FlowRunFilter(id=FlowRunFilterId(any_=[flow_state.state_details.flow_run_id]))
            deadline = time.monotonic() + 30  # the server records task runs from events
            with get_client(sync_client=True) as client:
                while True:
                    runs = client.read_task_runs(flow_run_filter=flow_run)
                    settled = all(r.state.is_final() or r.state.name == "NotReady" for r in runs)
                    if (len(runs) >= expected and settled) or time.monotonic() > deadline:
                        return {{r.name: r.state.name for r in runs}}
                    time.sleep(0.2)
        """
    )
    done = subprocess.run(
        [str(server.python), "-c", prelude + textwrap.dedent(script)],
        cwd=project, env=server.env, capture_output=True, text=True, timeout=SCRIPT_TIMEOUT,
        check=False,
    )  # fmt: skip
    (project / "script.log").write_text(done.stdout + done.stderr)  # kept for a post-mortem
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    output: dict[str, Any] = json.loads(out.read_text())
    return output


def rows_in(pg_database: str, table: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(pg_database) as conn:
        return conn.execute(f"select * from loaded.{table} order by id").fetchall()


def test_elt_run_task_loads_the_rows_logs_progress_and_reports_rows_as_an_artifact(
    prefect_server: PrefectServer, pg_database: str, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "p", pg_database)
    got = run_script(
        prefect_server,
        project,
        """
        from prefect import flow
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
        from elt.integrations.prefect import artifact_key, elt_run_task

        from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

        @flow
        def load():
            return elt_run_task("tap-csv target-postgres", PROJECT, progress_interval=0.1)

        state = load(return_state=True)
        result = state.result()
        flow_run = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id]))
        with get_client(sync_client=True) as client:
            key = artifact_key(result["state_id"])
            [artifact] = client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
            )
            deadline = time.monotonic() + 30  # logs reach the server in batches
            while True:
                logs = [log.message for log in client.read_logs(log_filter=flow_run)]
                if any("rows committed" in m for m in logs) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        data = artifact.data if isinstance(artifact.data, list) else json.loads(artifact.data)
        json.dump({"result": result, "key": key, "type": artifact.type, "logs": logs,
                   "table": data, "description": artifact.description}, open(OUT, "w"))
        """,
    )
    result = got["result"]
    assert result["status"] == "success"
    assert result["rows"] == {"orders": 3}
    assert [r[0] for r in rows_in(pg_database, "orders")] == [1, 2, 3]
    [record] = Project.open(project).runs()
    assert record.run_id == result["run_id"]
    assert got["key"] == "elt-default-tap-csv-to-target-postgres"
    assert got["type"] == "table"
    assert got["table"] == [{"stream": "orders", "rows": 3}]
    assert result["run_id"] in got["description"]
    assert result["state_id"] in got["description"]
    assert "success, 3 rows committed" in got["description"]
    # progress while it ran, then the run's line, in the task run's log
    assert any(m.startswith("tap-csv -> target-postgres: ") for m in got["logs"]), got["logs"]
    assert f"elt run {result['run_id']}: 3 rows committed" in got["logs"]


def test_the_job_flow_runs_one_named_task_per_job_task_in_the_jobs_dependency_order(
    prefect_server: PrefectServer, pg_database: str, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "p", pg_database)
    got = run_script(
        prefect_server,
        project,
        """
        from elt.integrations.prefect import elt_job_flow

        nightly = elt_job_flow(PROJECT, "nightly")
        state = nightly(return_state=True)
        json.dump({"flow": nightly.name, "state": state.name, "result": state.result(),
                   "tasks": task_runs(state, 3)}, open(OUT, "w"))
        """,
    )
    assert got["flow"] == "elt-nightly"
    assert got["state"] == "Completed"
    tasks = [
        "tap-csv target-postgres",
        "tap-customers target-postgres",
        "tap-totals target-postgres",
    ]
    assert got["tasks"] == dict.fromkeys(tasks, "Completed")
    assert {task: got["result"][task]["rows"] for task in tasks} == {
        tasks[0]: {"orders": 3},
        tasks[1]: {"customers": 2},
        tasks[2]: {"totals": 1},
    }
    assert [r[1] for r in rows_in(pg_database, "customers")] == ["Ada", "Grace"]
    runs = {r.tap: r for r in Project.open(project).runs(job="nightly")}
    assert {r.status.value for r in runs.values()} == {"success"}
    # totals waits for both others; orders and customers wait for nothing
    ended = [runs["tap-csv"].ended_at, runs["tap-customers"].ended_at]
    assert all(end is not None and end <= runs["tap-totals"].started_at for end in ended)


def test_a_task_whose_dependency_failed_is_not_run_and_a_final_failure_is_not_retried(
    prefect_server: PrefectServer, pg_database: str, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "p", pg_database)
    got = run_script(
        prefect_server,
        project,
        """
        from elt.integrations.prefect import elt_job_flow

        broken = elt_job_flow(PROJECT, "broken", retries=2, retry_delay=0)
        state = broken(return_state=True)
        error = state.result(raise_on_failure=False)
        json.dump({"state": state.name, "message": state.message, "tasks": task_runs(state, 3),
                   "error": [str(error), error.exit_code, error.retriable]}, open(OUT, "w"))
        """,
    )
    assert got["state"] == "Failed"
    assert got["tasks"] == {
        "tap-missing target-postgres": "Failed",
        "tap-csv target-postgres": "Completed",
        "tap-customers target-postgres": "NotReady",
    }
    history = Project.open(project).runs(job="broken")
    # exit 78: one attempt despite retries=2; the task waiting for it never started
    assert sorted((r.tap, r.status.value, r.exit_code) for r in history) == [
        ("tap-csv", "success", 0),
        ("tap-missing", "failed", 78),
    ]
    [failed] = [r for r in history if r.tap == "tap-missing"]
    paragraph, exit_code, retriable = got["error"]
    assert (exit_code, retriable) == (78, False)
    assert paragraph == failed.error
    assert "missing.csv" in paragraph
    assert paragraph in got["message"]


def test_a_retriable_failure_is_retried_with_elts_doubling_pauses(
    prefect_server: PrefectServer, pg_database: str, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "p", pg_database)
    got = run_script(
        prefect_server,
        project,
        """
        from prefect import flow
        from elt.integrations.prefect import elt_run_task, retry_options

        @flow
        def load():
            return elt_run_task.with_options(**retry_options(2, retry_delay=1))(
                "tap-csv target-down", PROJECT
            )

        state = load(return_state=True)
        error = state.result(raise_on_failure=False)
        json.dump({"state": state.name, "error": [error.exit_code, error.retriable],
                   "delays": [retry_options(2, 1)["retry_delay_seconds"],
                              retry_options(12, 10)["retry_delay_seconds"]]}, open(OUT, "w"))
        """,
    )
    assert got["state"] == "Failed"
    assert got["error"] == [75, True]
    assert got["delays"] == [[1, 2], [10, 20, 40, 80, 160, 320, 600, 600, 600, 600, 600, 600]]
    attempts = sorted(Project.open(project).runs(), key=lambda r: r.started_at)
    assert [(r.status.value, r.exit_code) for r in attempts] == [("failed", 75)] * 3
    pauses = [
        (later.started_at - earlier.ended_at)
        for earlier, later in itertools.pairwise(attempts)
        if earlier.ended_at is not None
    ]
    assert len(pauses) == 2
    assert pauses[0] >= timedelta(seconds=1)
    assert pauses[1] >= timedelta(seconds=2)


def test_elt_schedules_become_deployment_schedules_whose_runs_take_the_schedules_retries(
    prefect_server: PrefectServer, pg_database: str, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "p", pg_database)
    got = run_script(
        prefect_server,
        project,
        """
        from prefect.client.orchestration import get_client
        from elt.errors import ConfigError
        from elt.integrations.prefect import elt_job_flow, prefect_schedules

        down = elt_job_flow(PROJECT, "down")
        deployment_id = down.to_deployment(
            "hourly", schedules=prefect_schedules(PROJECT, "down")
        ).apply()
        with get_client(sync_client=True) as client:
            schedules = [
                {"cron": s.schedule.cron, "timezone": s.schedule.timezone,
                 "parameters": s.parameters, "slug": s.slug}
                for s in client.read_deployment(deployment_id).schedules
            ]
        berlin = [(s.cron, s.timezone, s.slug) for s in prefect_schedules(PROJECT, "nightly")]
        try:
            prefect_schedules(PROJECT, "broken")
            refused = None
        except ConfigError as error:
            refused = str(error)
        # what a firing of hourly-down runs: the flow with the schedule's parameters
        state = down(**schedules[0]["parameters"], return_state=True)
        json.dump({"schedules": schedules, "berlin": berlin, "refused": refused,
                   "state": state.name}, open(OUT, "w"))
        """,
    )
    assert got["schedules"] == [
        {
            "cron": "@hourly",
            "timezone": "UTC",
            "parameters": {"schedule": "hourly-down"},
            "slug": "hourly-down",
        }
    ]
    assert got["berlin"] == [["30 3 * * *", "Europe/Berlin", "nightly-berlin"]]
    assert got["refused"] is not None
    assert '"broken-seconds"' in got["refused"]
    assert got["state"] == "Failed"
    # the schedule's retries: 1, so two attempts, each named for the schedule and the job
    attempts = Project.open(project).runs(schedule="hourly-down")
    assert [(r.exit_code, r.origin.job) for r in attempts] == [(75, "down")] * 2


def test_the_readme_example_runs_a_task_then_serves_the_job_on_its_schedule(
    prefect_server: PrefectServer, pg_database: str, tmp_path: Path
) -> None:
    """The README's ``prefect-flow`` example as written, in a project with a job "nightly"
    whose schedule fires at 03:30 in Berlin: ``serve`` runs until it is stopped, so the test
    waits for the deployment it registers, then stops it (SIGTERM, as a service manager)."""
    [example] = [e for e in all_examples() if e.name == "prefect-flow"]
    project = make_project(tmp_path / "p", pg_database)
    (project / "example.py").write_text(example.text)
    log_path = project / "example.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(prefect_server.python), "example.py"],
            cwd=project, env={**prefect_server.env, "PYTHONUNBUFFERED": "1"},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            deployment = _served_deployment(prefect_server.url, "elt-nightly", "nightly", process)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    output = log_path.read_text()
    assert deployment is not None, output
    assert "{'orders': 3}" in output.splitlines()
    assert [r[0] for r in rows_in(pg_database, "orders")] == [1, 2, 3]
    assert [
        (s["schedule"]["cron"], s["schedule"]["timezone"], s["parameters"])
        for s in deployment["schedules"]
    ] == [("30 3 * * *", "Europe/Berlin", {"schedule": "nightly-berlin"})]


def _served_deployment(
    url: str, flow: str, name: str, process: subprocess.Popen[bytes]
) -> dict[str, Any] | None:
    """The deployment ``flow/name`` once the server has it; None if ``process`` ends first
    or it does not appear within SCRIPT_TIMEOUT."""
    deadline = time.monotonic() + SCRIPT_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/deployments/name/{flow}/{name}", timeout=5) as r:
                found: dict[str, Any] = json.loads(r.read())
                return found
        except OSError:  # 404 until serve registers it
            time.sleep(0.5)
    return None
