"""Scenarios of the README's Airflow examples. The export runs here (it needs no Airflow);
the hand-written DAG needs Airflow's venv, so it is loaded and run by
tests/integrations/test_airflow.py::test_the_readmes_hand_written_dag_runs_in_airflow (with
``airflow dags test``), and checked here only for what needs no Airflow."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from elt.schedule.airflow import HEADER
from tests.readme.examples import Example, run_bash
from tests.readme.root_examples import project_with
from tests.readme.scenarios import scenario


@scenario("airflow-export")
def airflow_export(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """One generated DAG per schedule in $AIRFLOW_HOME/dags/elt; a second export keeps them."""
    project = project_with(
        tmp_path / "p",
        "jobs:\n  - {name: nightly, tasks: [tap-csv target-postgres]}\n"
        "schedules:\n"
        "  - {name: nightly, job: nightly, interval: 0 3 * * *, timezone: Europe/Berlin}\n"
        "  - {name: csv, run: tap-csv target-postgres, interval: '@hourly', catch_up: skip}\n",
        "plugins:\n  taps: [{name: tap-csv}]\n  targets: [{name: target-postgres}]\n",
    )
    home = tmp_path / "airflow"
    for label in ("wrote", "unchanged"):
        done = run_bash(found.text, project, {"AIRFLOW_HOME": str(home)})
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == [
            f"{label} {home}/dags/elt/elt_nightly.py",
            f"{label} {home}/dags/elt/elt_csv.py",
        ]
    nightly = (home / "dags" / "elt" / "elt_nightly.py").read_text()
    assert nightly.startswith(HEADER)
    assert 'CronTriggerTimetable("0 3 * * *", timezone="Europe/Berlin")' in nightly


@scenario("airflow-dag")
def airflow_dag(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Valid Python naming elt's operator (run in Airflow by the integration test)."""
    tree = ast.parse(found.text)
    imported = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert ("elt.integrations.airflow", "EltRunOperator") in imported
