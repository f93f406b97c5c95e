"""elt inside the real Airflow (installed from the package index into its own venv, see
tests/fixtures/orchestrators.py): the DAGs ``elt schedule export airflow`` writes load in
Airflow's DagBag as plugins.yml says, and ``airflow dags test`` (a SQLite metadata database
in tmp) runs them: tap-csv into a real Postgres, the run id and rows in XCom, and a failure
a retry cannot fix failing the task with elt's paragraph, not retried.

Airflow runs in subprocesses of its venv; this process (no Airflow) generates the DAGs, reads
Postgres, Airflow's SQLite database and elt's history through the public API.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import textwrap
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from elt import Project
from elt.schedule.airflow import Operator, export_airflow
from tests.fixtures.orchestrators import orchestrator_env, orchestrator_venv
from tests.readme.examples import example

pytestmark = pytest.mark.timeout(900)  # a cold venv build; warm, the module takes ~2 min

ORDERS = "id,name,amount\n1,one,1.50\n2,two,2.50\n3,three,3.50\n"
TASK = "tap-csv target-postgres"


@pytest.fixture(scope="module")
def airflow_venv() -> Path:
    return orchestrator_venv("airflow")


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory, airflow_venv: Path) -> Path:
    """An AIRFLOW_HOME with a migrated SQLite metadata database, shared by the module's
    tests (each uses DAG ids of its own)."""
    home = tmp_path_factory.mktemp("airflow")
    done = airflow(airflow_venv, home, home / "dags", "db", "migrate")
    assert done.returncode == 0, done.stdout + done.stderr
    return home


def airflow(
    venv: Path, home: Path, dags: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``airflow ARGS`` with its home and dags folder; the plugins on PATH."""
    return subprocess.run(
        [str(venv / "bin" / "airflow"), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=airflow_env(venv, home, dags, env),
    )


def airflow_env(
    venv: Path, home: Path, dags: Path, extra: dict[str, str] | None = None
) -> dict[str, str]:
    return orchestrator_env(
        venv,
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            **(extra or {}),
        },
    )


def in_airflow(venv: Path, home: Path, script: str, *args: str) -> Any:
    """Run ``script`` with the venv's Python; what it prints last is JSON, returned."""
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=airflow_env(venv, home, home / "dags"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def make_project(root: Path, url: str, schedules: str, jobs: str = "") -> Path:
    """tap-csv (three orders) into target-postgres at ``url``, with ``schedules``."""
    (root / "data").mkdir(parents=True)
    (root / "data" / "orders.csv").write_text(ORDERS, encoding="utf-8")
    (root / "plugins.yml").write_text(
        textwrap.dedent(
            f"""\
            version: 1
            default_environment: dev
            environments: [{{name: dev}}, {{name: prod}}]
            plugins:
              taps:
                - name: tap-csv
                  config:
                    files: [{{entity: orders, path: data/orders.csv, keys: [id]}}]
                - {{name: tap-csv-b, inherit_from: tap-csv}}
              targets:
                - name: target-postgres
                  config:
                    sqlalchemy_url: "{url}"
                    default_target_schema: loaded
            """
        )
        + jobs
        + schedules
    )
    return root


def xcoms(home: Path, dag_id: str) -> dict[tuple[str, str], Any]:
    """(task id, key) -> value of every XCom of ``dag_id`` in Airflow's SQLite database."""
    with sqlite3.connect(home / "airflow.db") as db:
        found = db.execute("select task_id, key, value from xcom where dag_id = ?", (dag_id,))
        return {(task, key): json.loads(value) for task, key, value in found}


def task_instances(home: Path, dag_id: str) -> dict[str, tuple[str, int]]:
    """task id -> (state, try number) of ``dag_id``'s task instances."""
    with sqlite3.connect(home / "airflow.db") as db:
        found = db.execute(
            "select task_id, state, try_number from task_instance where dag_id = ?", (dag_id,)
        )
        return {task: (state, tries) for task, state, tries in found}


LOAD_DAGS = """
    import json, sys
    from datetime import datetime, timedelta, timezone
    from types import SimpleNamespace
    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction
    from airflow.utils.types import DagRunType

    bag = DagBag(dag_folder=sys.argv[1])
    shown = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
    for dag_id, dag in bag.dags.items():
        tasks = {}
        for task in dag.tasks:
            tasks[task.task_id] = {
                "class": type(task).__name__,
                "upstream": sorted(task.upstream_task_ids),
                "retries": task.retries,
                "retry_delay": task.retry_delay.total_seconds(),
                "backoff": task.retry_exponential_backoff,
                "max_retry_delay": task.max_retry_delay.total_seconds(),
                **{k: getattr(task, k, None) for k in
                   ("project_dir", "task", "job", "schedule", "environment", "bash_command")},
            }
        late = {}
        if "skip-missed-firing" in dag.task_dict:
            guard = dag.task_dict["skip-missed-firing"].python_callable
            fired = datetime(2025, 3, 1, tzinfo=timezone.utc)
            for kind, minutes in (("scheduled", 1), ("scheduled", 30), ("manual", 30)):
                run = SimpleNamespace(run_type=DagRunType(kind), run_after=fired,
                                      start_date=fired + timedelta(minutes=minutes))
                late[f"{kind} {minutes}"] = guard(dag_run=run)
        timetable = coerce_to_core_timetable(dag.timetable)  # what the scheduler runs
        after = pendulum.datetime(2025, 3, 3, tz="UTC")  # a Monday
        first = timetable.next_dagrun_info(
            last_automated_data_interval=None,
            restriction=TimeRestriction(earliest=after, latest=None, catchup=True),
        )
        shown["dags"][dag_id] = {
            "timetable": type(timetable).__name__,
            "serialized": timetable.serialize(),
            "fires_first": first.run_after.isoformat(),
            "start_date": dag.start_date.isoformat(),
            "catchup": dag.catchup,
            "max_active_runs": dag.max_active_runs,
            "tasks": tasks,
            "guard": late,
        }
    print(json.dumps(shown))
"""


def test_generated_dags_load_in_airflow_with_plugins_yml_schedules_and_job_graph(
    tmp_path: Path, airflow_venv: Path, airflow_home: Path
) -> None:
    jobs = textwrap.dedent(
        """\
        jobs:
          - name: fan-in
            tasks: [tap-csv target-postgres, tap-csv-b target-postgres, tap-csv target-postgres-x]
            depends_on:
              tap-csv target-postgres: []
              tap-csv-b target-postgres: []
              tap-csv target-postgres-x: [tap-csv target-postgres, tap-csv-b target-postgres]
        """
    )
    schedules = textwrap.dedent(
        """\
        schedules:
          - {name: nightly, job: fan-in, interval: "30 2 * * 1-5", timezone: Europe/Berlin,
             env: prod, retries: 3, retry_delay: 7.5}
          - {name: hourly, run: tap-csv target-postgres, interval: "@hourly", catch_up: skip}
        """
    )
    project = make_project(tmp_path / "project", "postgresql://unused/x", schedules, jobs)
    plugins = (project / "plugins.yml").read_text()
    (project / "plugins.yml").write_text(
        plugins.replace(
            "  targets:\n",
            "  targets:\n    - {name: target-postgres-x, inherit_from: target-postgres}\n",
        )
    )
    for operator in Operator:
        export_airflow(project, tmp_path / operator.value, operator=operator)
    for operator in Operator:
        loaded = in_airflow(airflow_venv, airflow_home, LOAD_DAGS, str(tmp_path / operator.value))
        assert loaded["errors"] == {}
        dags = loaded["dags"]
        assert set(dags) == {"nightly", "hourly"}

        nightly = dags["nightly"]
        assert nightly["timetable"] == "CronTriggerTimetable"
        assert nightly["serialized"]["expression"] == "30 2 * * 1-5"
        assert nightly["serialized"]["timezone"] == "Europe/Berlin"
        assert nightly["fires_first"] == "2025-03-03T01:30:00+00:00"  # 02:30 in Berlin (CET)
        assert nightly["start_date"] == "2023-12-31T23:00:00+00:00"  # midnight in Berlin
        assert (nightly["catchup"], nightly["max_active_runs"]) == (False, 1)
        tasks = nightly["tasks"]
        a, b, x = (
            "tap-csv-to-target-postgres",
            "tap-csv-b-to-target-postgres",
            "tap-csv-to-target-postgres-x",
        )
        assert {t: tasks[t]["upstream"] for t in tasks} == {a: [], b: [], x: sorted([a, b])}
        for task in tasks.values():
            assert (task["retries"], task["retry_delay"], task["backoff"]) == (3, 7.5, 2.0)
            assert task["max_retry_delay"] == 600
        if operator is Operator.ELT:
            assert {t["class"] for t in tasks.values()} == {"EltRunOperator"}
            assert tasks[x]["task"] == "tap-csv target-postgres-x"
            assert tasks[x]["project_dir"] == str(project.resolve())
            assert (tasks[x]["job"], tasks[x]["schedule"], tasks[x]["environment"]) == (
                "fan-in",
                "nightly",
                "prod",
            )
        else:
            assert {t["class"] for t in tasks.values()} == {"BashOperator"}
            assert tasks[b]["bash_command"] == (
                f"elt --project {project.resolve()} -e prod run tap-csv-b target-postgres"
            )
        assert nightly["guard"] == {}

        hourly = dags["hourly"]
        assert hourly["serialized"]["expression"] == "0 * * * *"
        assert (hourly["serialized"]["timezone"], hourly["catchup"]) == ("UTC", False)
        assert hourly["tasks"][a]["upstream"] == ["skip-missed-firing"]
        assert hourly["tasks"][a]["retries"] == 0
        # catch_up: skip — a scheduled run 30 minutes late (Airflow was down) does nothing
        assert hourly["guard"] == {"scheduled 1": True, "scheduled 30": False, "manual 30": True}


def test_airflow_dags_test_loads_the_csv_into_postgres_and_pushes_run_id_and_rows(
    tmp_path: Path, airflow_venv: Path, airflow_home: Path, pg_database: str
) -> None:
    schedules = 'schedules:\n  - {name: csv-load, run: "tap-csv target-postgres", interval: "@daily", retries: 2}\n'
    project = make_project(tmp_path / "project", pg_database, schedules)
    dags = tmp_path / "dags"
    export_airflow(project, dags)
    done = airflow(airflow_venv, airflow_home, dags, "dags", "test", "csv-load", "2025-06-01")
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]

    with psycopg.connect(pg_database) as conn:
        loaded = conn.execute("select id, name from loaded.orders order by id").fetchall()
    assert loaded == [(1, "one"), (2, "two"), (3, "three")]
    task_id = "tap-csv-to-target-postgres"
    assert task_instances(airflow_home, "csv-load") == {task_id: ("success", 1)}
    pushed = xcoms(airflow_home, "csv-load")
    (run,) = Project.open(project).runs(schedule="csv-load")
    assert pushed[task_id, "run_id"] == run.run_id
    assert pushed[task_id, "rows"] == {"orders": 3}
    assert pushed[task_id, "return_value"]["status"] == "success"
    assert pushed[task_id, "return_value"]["run_id"] == run.run_id


def test_a_task_a_retry_cannot_fix_fails_with_elts_paragraph_and_is_not_retried(
    tmp_path: Path, airflow_venv: Path, airflow_home: Path, pg_database: str
) -> None:
    parts = urlsplit(pg_database)
    missing = urlunsplit(parts._replace(path="/no_such_database_here"))
    schedules = 'schedules:\n  - {name: bad-config, run: "tap-csv target-postgres", interval: "@daily", retries: 2, retry_delay: 1}\n'
    project = make_project(tmp_path / "project", missing, schedules)
    dags = tmp_path / "dags"
    export_airflow(project, dags)
    done = airflow(airflow_venv, airflow_home, dags, "dags", "test", "bad-config", "2025-06-01")
    output = done.stdout + done.stderr
    (run,) = Project.open(project).runs(schedule="bad-config")
    assert run.exit_code == 78
    assert f"elt failed (exit 78, run {run.run_id}): " in output
    assert 'database "no_such_database_here" does not exist' in output
    assert "AirflowFailException" in output
    # failed on its first try: Airflow did not retry it, although the DAG allows 2 retries
    assert task_instances(airflow_home, "bad-config") == {
        "tap-csv-to-target-postgres": ("failed", 1)
    }


RETRIABLE = """
    import json, sys
    from airflow.sdk.exceptions import AirflowException, AirflowFailException
    from elt.integrations.airflow import EltRunOperator

    operator = EltRunOperator(task_id="t", project_dir=sys.argv[1], task="tap-csv target-postgres",
                              config={"target-postgres.sqlalchemy_url": sys.argv[2]})
    try:
        operator.execute({})
    except AirflowFailException as error:
        print(json.dumps(["fail", str(error)]))
    except AirflowException as error:
        print(json.dumps(["retry", str(error)]))
"""


def test_a_failure_a_retry_may_fix_is_left_to_airflows_retries(
    tmp_path: Path, airflow_venv: Path, airflow_home: Path
) -> None:
    project = make_project(tmp_path / "project", "postgresql://unused/x", "")
    closed = "postgresql://postgres:s3cret-pw@127.0.0.1:9/x"  # nothing listens on port 9: 75
    kind, message = in_airflow(airflow_venv, airflow_home, RETRIABLE, str(project), closed)
    assert kind == "retry"
    assert message.startswith("elt failed (exit 75, run ")
    assert "127.0.0.1" in message
    assert "s3cret-pw" not in message


def test_the_readmes_hand_written_dag_runs_in_airflow(
    tmp_path: Path, airflow_venv: Path, airflow_home: Path, pg_database: str
) -> None:
    """The README's "airflow-dag" example, with its project directory pointing at a project
    in tmp_path: it loads, and ``airflow dags test`` loads the CSV into the schema its
    templated config names."""
    project = make_project(tmp_path / "project", pg_database, "")
    dags = tmp_path / "dags"
    dags.mkdir()
    source = example("airflow-dag").text
    assert "/opt/elt/project" in source
    (dags / "orders.py").write_text(source.replace("/opt/elt/project", str(project)))
    done = airflow(airflow_venv, airflow_home, dags, "dags", "test", "orders", "2025-06-01")
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    with psycopg.connect(pg_database) as conn:
        count = conn.execute("select count(*) from raw_20250601.orders").fetchone()
    assert count == (3,)
