"""elt inside Dagster (:mod:`elt.integrations.dagster`), with Dagster from the package index.

Each test writes a project (tap-csv into a real Postgres database, target-files into a
folder) and runs a script in the Dagster venv (:mod:`tests.fixtures.orchestrators`) that
defines the assets or schedules and materializes or evaluates them; the script prints one
JSON line of what Dagster reported, checked here against the database and elt's own run
history (read through :class:`elt.Project`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from elt import Project
from tests.fixtures.orchestrators import REPO, orchestrator_env, orchestrator_venv

ORDERS = "id,name,amount\n1,one,1.50\n2,two,2.50\n3,three,3.50\n"
CUSTOMERS = "id,name\n1,Zoë\n2,Ann\n"
ROWS = {"orders": 3, "customers": 2}

# what every script shares: a JSON summary of a Dagster run's events
PRELUDE = """
import json, sys
import dagster as dg
from elt import Project
from elt.integrations.dagster import elt_assets, elt_definitions, elt_schedules

def values(metadata):
    return {key: value.value for key, value in metadata.items()}

def summary(result):
    events = []
    for event in result.all_events:
        data = event.event_specific_data
        item = {"type": event.event_type_value, "step": event.step_key}
        if event.event_type_value == "ASSET_MATERIALIZATION":
            item["key"] = list(data.materialization.asset_key.path)
            item["metadata"] = values(data.materialization.metadata)
        elif event.event_type_value == "STEP_OUTPUT":
            item["metadata"] = values(data.metadata)
        elif event.event_type_value == "STEP_FAILURE" and data.user_failure_data is not None:
            item["description"] = data.user_failure_data.description
            item["metadata"] = values(data.user_failure_data.metadata)
        events.append(item)
    return {"success": result.success, "events": events}

def report(**values):
    print(json.dumps(values, default=str))
"""


@pytest.fixture(scope="module")
def dagster_venv() -> Path:
    return orchestrator_venv("dagster")


def make_project(root: Path, pg_database: str, extra: str = "") -> Path:
    """Two CSV streams into Postgres (schema ``raw``) and into a folder; environments dev
    (the default) and prod; ``extra`` YAML (jobs, schedules) appended."""
    (root / "data").mkdir(parents=True)
    (root / "data" / "orders.csv").write_text(ORDERS, encoding="utf-8")
    (root / "data" / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (root / "plugins.yml").write_text(
        f"""version: 1
default_environment: dev
plugins:
  taps:
    - name: tap-csv
      config:
        infer_sample_rows: 2
        files:
          - {{entity: orders, path: data/orders.csv, keys: [id]}}
          - {{entity: customers, path: data/customers.csv, keys: [id]}}
  targets:
    - name: target-postgres
      config: {{sqlalchemy_url: "{pg_database}", default_target_schema: raw}}
    - name: target-files
      config: {{path: lake}}
environments:
  - name: dev
  - name: prod
{extra}""",
        encoding="utf-8",
    )
    return root


def run_dagster(venv: Path, cwd: Path, script: str, timeout: float = 300) -> dict[str, Any]:
    """``script`` (after :data:`PRELUDE`) in the Dagster venv, in ``cwd``; its last line."""
    home = cwd.parent / "dagster-home"
    home.mkdir(exist_ok=True)
    extra = {"DAGSTER_HOME": str(home), "ELT_CACHE_DIR": os.environ["ELT_CACHE_DIR"]}
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", PRELUDE + script],
        cwd=cwd,
        env=orchestrator_env(venv, extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def counts(pg_database: str) -> dict[str, int]:
    with psycopg.connect(pg_database) as conn:
        return {
            table: conn.execute(f"select count(*) from raw.{table}").fetchone()[0]  # type: ignore[index]
            for table in ROWS
        }


def of_type(summary: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [event for event in summary["events"] if event["type"] == kind]


def materialized(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Materialization metadata by asset key (``raw/orders``)."""
    return {"/".join(e["key"]): e["metadata"] for e in of_type(summary, "ASSET_MATERIALIZATION")}


def other_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def test_materialize_loads_each_selected_stream_as_an_asset_with_its_rows_and_run(
    dagster_venv: Path, tmp_path: Path, pg_database: str
) -> None:
    root = make_project(tmp_path / "project", pg_database)
    out = run_dagster(
        dagster_venv,
        root,
        """
assets = elt_assets(".", "tap-csv", "target-postgres", key_prefix="raw", group_name="elt")
first = dg.materialize([assets])
again = dg.materialize(
    [assets], run_config={"ops": {assets.op.name: {"config": {"full_refresh": True}}}}
)
report(
    keys=sorted(key.path for key in assets.keys),
    groups=sorted(set(assets.group_names_by_key.values())),
    op=assets.op.name,
    can_subset=assets.can_subset,
    first=summary(first),
    again=summary(again),
)
""",
    )
    assert out["keys"] == [["raw", "customers"], ["raw", "orders"]]
    assert out["groups"] == ["elt"]
    assert out["op"] == "tap_csv__target_postgres"
    assert out["can_subset"] is False
    assert out["first"]["success"]
    loaded = counts(pg_database)
    assert loaded == ROWS

    metadata = materialized(out["first"])
    assert sorted(metadata) == ["raw/customers", "raw/orders"]
    assert {key.split("/")[1]: m["rows"] for key, m in metadata.items()} == loaded
    [run_id] = {m["run_id"] for m in metadata.values()}  # one elt run for every asset
    project = Project.open(root)
    record = project.get_run(run_id)
    assert record.status == "success"
    assert dict(record.rows) == ROWS
    assert [r.run_id for r in project.runs()][-1] == run_id
    for m in metadata.values():
        assert m["state_id"] == project.state_id("tap-csv", "target-postgres")
        assert m["state_id"] == "dev:tap-csv-to-target-postgres"
        assert m["rows_kind"] == "committed"
        assert m["log_path"] == record.log_path
        assert Path(m["log_path"]).is_file()

    # the op's config asks one launch for a full refresh: everything again, not nothing new
    again = materialized(out["again"])
    assert {key.split("/")[1]: m["rows"] for key, m in again.items()} == ROWS
    assert len(project.runs()) == 2


def test_a_run_elt_will_not_retry_fails_the_step_with_its_paragraph_and_no_retry(
    dagster_venv: Path, tmp_path: Path, pg_database: str
) -> None:
    root = make_project(tmp_path / "project", pg_database)
    missing = other_database(pg_database, "no_such_database")
    out = run_dagster(
        dagster_venv,
        root,
        f"""
assets = elt_assets(
    ".", "tap-csv", "target-postgres",
    config={{"target-postgres.sqlalchemy_url": {missing!r}}},
    retry_policy=dg.RetryPolicy(max_retries=2, delay=0),
)
report(**summary(dg.materialize([assets], raise_on_error=False)))
""",
    )
    assert out["success"] is False
    assert of_type(out, "STEP_UP_FOR_RETRY") == []  # 78: a retry cannot help
    [failure] = of_type(out, "STEP_FAILURE")
    assert failure["metadata"]["exit_code"] == 78
    assert failure["metadata"]["retriable"] is False
    [record] = Project.open(root).runs()
    assert record.run_id == failure["metadata"]["run_id"]
    assert record.exit_code == 78
    assert record.error is not None
    assert failure["description"].startswith(record.error)
    assert 'database "no_such_database" does not exist' in failure["description"]
    assert of_type(out, "ASSET_MATERIALIZATION") == []


def test_a_failure_a_retry_can_fix_is_retried_by_the_steps_retry_policy(
    dagster_venv: Path, tmp_path: Path, pg_database: str
) -> None:
    root = make_project(tmp_path / "project", pg_database)
    closed = urlunsplit(urlsplit(pg_database)._replace(netloc="postgres@127.0.0.1:1"))
    out = run_dagster(
        dagster_venv,
        root,
        f"""
assets = elt_assets(
    ".", "tap-csv", "target-postgres",
    config={{"target-postgres.sqlalchemy_url": {closed!r}}},
    retry_policy=dg.RetryPolicy(max_retries=1, delay=0),
)
report(**summary(dg.materialize([assets], raise_on_error=False)))
""",
    )
    assert out["success"] is False
    assert len(of_type(out, "STEP_UP_FOR_RETRY")) == 1
    [failure] = of_type(out, "STEP_FAILURE")
    assert failure["metadata"]["exit_code"] == 75
    assert failure["metadata"]["retriable"] is True
    assert "Connection refused" in failure["description"]
    runs = Project.open(root).runs()
    assert [(r.status, r.exit_code) for r in runs] == [("failed", 75), ("failed", 75)]


def test_declared_streams_are_checked_against_the_selection_and_others_are_logged(
    dagster_venv: Path, tmp_path: Path, pg_database: str
) -> None:
    root = make_project(tmp_path / "project", pg_database)
    out = run_dagster(
        dagster_venv,
        root,
        """
import logging
unselected = elt_assets(".", "tap-csv", "target-postgres", streams=["orders", "refunds"])
refused = summary(dg.materialize([unselected], raise_on_error=False))
runs_after_refusal = len(Project.open(".").runs())
instance = dg.DagsterInstance.ephemeral()
partial = elt_assets(".", "tap-csv", "target-postgres", streams=["orders"], name="orders_only")
result = dg.materialize([partial], instance=instance)
warnings = [e.user_message for e in instance.all_logs(result.run_id) if e.level == logging.WARNING]
report(
    keys=sorted(k.path for k in unselected.keys), refused=refused, runs=runs_after_refusal,
    partial=summary(result), warnings=warnings,
)
""",
    )
    assert out["keys"] == [["orders"], ["refunds"]]
    assert out["refused"]["success"] is False
    [failure] = of_type(out["refused"], "STEP_FAILURE")
    assert failure["description"].startswith("tap-csv does not select refunds")
    assert failure["metadata"] == {"error": "ConfigError", "exit_code": 78, "retriable": False}
    assert out["runs"] == 0  # refused before a run started

    # a selected stream left undeclared is loaded all the same, and the step says so
    assert list(materialized(out["partial"])) == ["orders"]
    assert counts(pg_database) == ROWS
    assert [w for w in out["warnings"] if "also loaded customers" in w]


SCHEDULES = """jobs:
  - {name: nightly, tasks: ["tap-csv target-postgres", "tap-csv target-files"]}
  - name: fan-in
    tasks: ["tap-csv target-postgres", "tap-csv target-files"]
    depends_on: {"tap-csv target-postgres": ["tap-csv target-files"], "tap-csv target-files": []}
schedules:
  - {name: nightly, job: nightly, interval: "0 3 * * *", env: prod, retries: 2, retry_delay: 60}
  - {name: csv, run: "tap-csv target-postgres", interval: "@hourly", catch_up: skip, retries: 1, retry_delay: 5}
  - {name: morning, job: nightly, interval: "30 6 * * 1-5", timezone: Europe/Berlin}
  - {name: fan-in, job: fan-in, interval: "*/15 * * * * 0"}
  - {name: files, run: "tap-csv target-files", interval: "@weekly"}
"""

DESCRIBE_SCHEDULES = """
from datetime import UTC, datetime, timedelta

def policy(p):
    return None if p is None else [p.max_retries, p.delay, p.backoff.value]

def tick(schedule, when):
    result = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=when))
    return {"tags": [r.tags for r in result.run_requests or []], "skipped": result.skip_message}

assets = elt_assets(".", "tap-csv", "target-postgres", streams=["orders", "customers"], key_prefix="raw")
defs = elt_definitions(".", assets=[assets])
now = datetime.now(UTC)
described = {}
for schedule in defs.schedules:
    job = defs.resolve_job_def(schedule.job_name)
    structure = job.graph.dependency_structure
    described[schedule.name] = {
        "cron": schedule.cron_schedule,
        "timezone": schedule.execution_timezone,
        "job": schedule.job_name,
        "ops": {
            node.name: {
                "policy": policy(node.definition.retry_policy or job.op_retry_policy),
                "after": sorted(o.node_name for outs in structure.input_to_upstream_outputs_for_node(node.name).values() for o in outs),
            }
            for node in job.graph.nodes
        },
        "assets": sorted("/".join(k.path) for k in job.asset_layer.selected_asset_keys) if job.asset_layer else [],
        "on_time": tick(schedule, now - timedelta(seconds=20)),
        "late": tick(schedule, now - timedelta(hours=1)),
    }
"""


def test_schedules_keep_the_cron_time_zone_retries_and_catch_up_of_plugins_yml(
    dagster_venv: Path, tmp_path: Path, pg_database: str
) -> None:
    root = make_project(tmp_path / "project", pg_database, SCHEDULES)
    seconds = make_project(
        tmp_path / "seconds",
        pg_database,
        "jobs: [{name: j, tasks: [tap-csv target-files]}]\n"
        'schedules: [{name: often, job: j, interval: "*/10 * * * * 30"}]\n',
    )
    out = run_dagster(
        dagster_venv,
        root,
        DESCRIBE_SCHEDULES
        + f"""
try:
    elt_schedules({str(seconds)!r})
    refused = None
except Exception as error:
    refused = [type(error).__name__, str(error)]
report(schedules=described, refused=refused)
""",
    )
    schedules = out["schedules"]
    assert sorted(schedules) == ["csv", "fan_in", "files", "morning", "nightly"]
    retried = [2, 60.0, "EXPONENTIAL"]
    assert schedules["nightly"] | {"on_time": None, "late": None} == {
        "cron": "0 3 * * *",
        "timezone": "UTC",
        "job": "nightly_job",
        "ops": {
            "tap_csv__target_postgres": {"policy": retried, "after": []},
            "tap_csv__target_files": {"policy": retried, "after": ["tap_csv__target_postgres"]},
        },
        "assets": [],
        "on_time": None,
        "late": None,
    }
    # catch_up once (the default): Dagster runs the latest missed tick, late or not
    for late in ("on_time", "late"):
        assert schedules["nightly"][late] == {
            "tags": [{"elt/schedule": "nightly", "dagster/schedule_name": "nightly"}],
            "skipped": None,
        }
    # a run schedule whose run an elt_assets definition makes: that definition's asset job
    csv = schedules["csv"]
    assert (csv["cron"], csv["timezone"], csv["job"]) == ("0 * * * *", "UTC", "csv_job")
    assert csv["assets"] == ["raw/customers", "raw/orders"]
    assert csv["ops"] == {
        "tap_csv__target_postgres": {"policy": [1, 5.0, "EXPONENTIAL"], "after": []}
    }
    assert csv["on_time"]["tags"] == [{"elt/schedule": "csv", "dagster/schedule_name": "csv"}]
    assert csv["late"]["tags"] == []
    assert csv["late"]["skipped"].startswith("missed the firing at ")
    assert csv["late"]["skipped"].endswith("catch_up is skip")

    assert (schedules["morning"]["cron"], schedules["morning"]["timezone"]) == (
        "30 6 * * 1-5",
        "Europe/Berlin",
    )
    assert all(op["policy"] is None for op in schedules["morning"]["ops"].values())
    assert schedules["fan_in"]["cron"] == "*/15 * * * *"  # a zero seconds field dropped
    assert schedules["fan_in"]["ops"] == {
        "tap_csv__target_files": {"policy": None, "after": []},
        "tap_csv__target_postgres": {"policy": None, "after": ["tap_csv__target_files"]},
    }
    # a run schedule no definition makes: a job of one op
    files = schedules["files"]
    assert (files["cron"], files["assets"]) == ("0 0 * * 0", [])
    assert list(files["ops"]) == ["tap_csv__target_files"]

    assert out["refused"] is not None
    kind, message = out["refused"]
    assert kind == "ConfigError"
    assert "fires at second 30" in message


def test_a_schedules_job_runs_its_tasks_in_order_in_its_environment(
    dagster_venv: Path, tmp_path: Path, pg_database: str
) -> None:
    root = make_project(tmp_path / "project", pg_database, SCHEDULES)
    out = run_dagster(
        dagster_venv,
        root,
        """
assets = elt_assets(".", "tap-csv", "target-postgres", streams=["orders", "customers"], key_prefix="raw")
defs = elt_definitions(".", assets=[assets])
ran = {}
for job, schedule in (("nightly_job", "nightly"), ("csv_job", "csv")):
    result = defs.resolve_job_def(job).execute_in_process(
        tags={"elt/schedule": schedule}, instance=dg.DagsterInstance.ephemeral()
    )
    ran[job] = summary(result)
report(**ran)
""",
    )
    nightly, csv = out["nightly_job"], out["csv_job"]
    assert nightly["success"]
    outputs = {e["step"]: e["metadata"] for e in of_type(nightly, "STEP_OUTPUT")}
    assert list(outputs) == ["tap_csv__target_postgres", "tap_csv__target_files"]
    assert counts(pg_database) == ROWS
    assert sorted(p.name for p in (root / "lake").iterdir() if not p.name.startswith("_"))

    prod = Project.open(root, environment="prod")
    tasks = sorted(prod.runs(job="nightly", schedule="nightly"), key=lambda r: r.started_at)
    assert [(r.tap, r.target, r.status) for r in tasks] == [
        ("tap-csv", "target-postgres", "success"),
        ("tap-csv", "target-files", "success"),
    ]
    assert [r.run_id for r in tasks] == [m["run_id"] for m in outputs.values()]
    assert {m["state_id"] for m in outputs.values()} == {
        "prod:tap-csv-to-target-postgres",
        "prod:tap-csv-to-target-files",
    }
    assert outputs["tap_csv__target_postgres"]["rows"] == ROWS

    assert csv["success"]
    assert sorted(materialized(csv)) == ["raw/customers", "raw/orders"]
    [scheduled] = Project.open(root).runs(schedule="csv")
    assert scheduled.state_id == "dev:tap-csv-to-target-postgres"
    assert {m["run_id"] for m in materialized(csv).values()} == {scheduled.run_id}


def readme_block(name: str) -> str:
    """The text of the README's fenced block named ``name`` (any language)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(
        rf"^<!-- example: {re.escape(name)} -->\n```[a-z]*\n(?P<body>.*?)^```$", text, re.S | re.M
    )
    assert found is not None, f"no README block named {name}"
    return found.group("body")


def test_the_readme_dagster_example_materializes_the_assets_with_dagsters_cli(
    dagster_venv: Path, tmp_path: Path, pg_database: str
) -> None:
    root = make_project(tmp_path / "project", pg_database)
    (root / "definitions.py").write_text(readme_block("dagster-definitions"), encoding="utf-8")
    home = tmp_path / "dagster-home"
    home.mkdir()
    env = orchestrator_env(
        dagster_venv, {"DAGSTER_HOME": str(home), "ELT_CACHE_DIR": os.environ["ELT_CACHE_DIR"]}
    )
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", readme_block("dagster-materialize")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-6000:]
    assert done.stderr.count("ASSET_MATERIALIZATION") == 2
    assert counts(pg_database) == ROWS
