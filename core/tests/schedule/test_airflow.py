"""``elt.schedule.airflow``: the DAG files of a project's schedules, read back as Python
syntax trees (no Airflow here; tests/integrations/test_airflow.py loads them in Airflow)."""

from __future__ import annotations

import ast
import json
import logging
import re
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from core.tests.plugins import MAPPER, TAP, TARGET, ToyProject
from elt.errors import ProjectError, UsageError
from elt.schedule.airflow import HEADER, Operator, export_airflow, task_ids

TASK = f"{TAP} {TARGET}"
MAPPED = f"{TAP} {MAPPER} {TARGET}"


def with_schedules(toy: ToyProject, schedules: list[dict[str, Any]], **extra: Any) -> Path:
    path = toy.root / "plugins.yml"
    document = json.loads(path.read_text())
    document.update(schedules=schedules, environments=[{"name": "dev"}, {"name": "prod"}])
    document.update(extra)
    path.write_text(json.dumps(document, indent=2))
    return toy.root


@dataclass
class Dag:
    """A generated DAG file, evaluated piece by piece from its syntax tree."""

    source: str

    @property
    def tree(self) -> ast.Module:
        return ast.parse(self.source)

    def arguments(self) -> dict[str, Any]:
        """The DAG(...) keywords, evaluated (the timetable and start date as tuples)."""
        (block,) = [node for node in self.tree.body if isinstance(node, ast.With)]
        call = block.items[0].context_expr
        assert isinstance(call, ast.Call)
        assert ast.unparse(call.func) == "DAG"
        return {k.arg: evaluate(k.value) for k in call.keywords if k.arg}

    def tasks(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Variable -> (operator class, its keywords)."""
        (block,) = [node for node in self.tree.body if isinstance(node, ast.With)]
        found = {}
        for node in block.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                keywords = {k.arg: evaluate(k.value) for k in node.value.keywords if k.arg}
                found[ast.unparse(node.targets[0])] = (ast.unparse(node.value.func), keywords)
        return found

    def edges(self) -> set[tuple[str, str]]:
        """(upstream task id, downstream task id) of every ``>>``."""
        ids = {name: keywords["task_id"] for name, (_, keywords) in self.tasks().items()}
        (block,) = [node for node in self.tree.body if isinstance(node, ast.With)]
        edges = set()
        for node in block.body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.BinOp):
                assert isinstance(node.value.op, ast.RShift)
                left = node.value.left
                ups = left.elts if isinstance(left, ast.List) else [left]
                for up in ups:
                    edges.add((ids[ast.unparse(up)], ids[ast.unparse(node.value.right)]))
        return edges


def evaluate(node: ast.expr) -> Any:
    namespace = {
        "timedelta": timedelta,
        "CronTriggerTimetable": lambda cron, timezone: ("cron", cron, timezone),
        "pendulum": SimpleNamespace(datetime=lambda *date, tz: ("date", date, tz)),
        "PROJECT_DIR": "PROJECT_DIR",
        "_started_on_time": "_started_on_time",
    }
    return eval(compile(ast.Expression(node), "<dag>", "eval"), namespace)


def exported(root: Path, folder: Path, **options: Any) -> dict[str, Dag]:
    export_airflow(root, folder, **options)
    return {path.name: Dag(path.read_text()) for path in sorted(folder.glob("*.py"))}


def test_each_schedule_is_one_dag_with_its_cron_zone_catch_up_and_retries(
    toy: ToyProject, tmp_path: Path
) -> None:
    root = with_schedules(
        toy,
        [
            {
                "name": "nightly",
                "run": TASK,
                "interval": "30 2 * * 1-5",
                "timezone": "Europe/Berlin",
                "env": "prod",
                "retries": 3,
                "retry_delay": 7.5,
            },
            {"name": "hourly", "run": TASK, "interval": "@hourly"},
        ],
    )
    dags = exported(root, tmp_path / "dags")
    assert sorted(dags) == ["elt_hourly.py", "elt_nightly.py"]
    nightly = dags["elt_nightly.py"].arguments()
    assert nightly["dag_id"] == "nightly"
    assert nightly["schedule"] == ("cron", "30 2 * * 1-5", "Europe/Berlin")
    assert nightly["start_date"] == ("date", (2024, 1, 1), "Europe/Berlin")
    assert nightly["catchup"] is False
    assert nightly["max_active_runs"] == 1
    assert nightly["default_args"] == {
        "retries": 3,
        "retry_delay": timedelta(seconds=7.5),
        # Airflow 3's multiplier: doubled each retry, capped like elt's own retries
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(seconds=600),
    }
    hourly = dags["elt_hourly.py"].arguments()
    assert hourly["schedule"] == ("cron", "0 * * * *", "UTC")
    assert hourly["default_args"]["retries"] == 0
    assert hourly["default_args"]["retry_delay"] == timedelta(seconds=10)
    ((operator, keywords),) = dags["elt_nightly.py"].tasks().values()
    assert operator == "EltRunOperator"
    assert keywords == {
        "task_id": f"{TAP}-to-{TARGET}",
        "project_dir": "PROJECT_DIR",
        "task": TASK,
        "schedule": "nightly",
        "environment": "prod",
    }
    assert f'PROJECT_DIR = "{root.resolve()}"' in dags["elt_nightly.py"].source
    assert "environment" not in dags["elt_hourly.py"].tasks()["task_1"][1]


def test_a_job_is_one_task_per_job_task_waiting_as_the_job_says(
    toy: ToyProject, tmp_path: Path
) -> None:
    second = f"{TAP} {TARGET}-b"
    document = json.loads((toy.root / "plugins.yml").read_text())
    document["plugins"]["targets"].append(
        {**document["plugins"]["targets"][0], "name": second.split()[1]}
    )
    (toy.root / "plugins.yml").write_text(json.dumps(document))
    root = with_schedules(
        toy,
        [{"name": "fan-in", "job": "load", "interval": "0 4 * * *"}],
        jobs=[
            {
                "name": "load",
                "tasks": [TASK, second, MAPPED],
                "depends_on": {TASK: [], second: [], MAPPED: [TASK, second]},
            }
        ],
    )
    dag = exported(root, tmp_path / "dags")["elt_fan-in.py"]
    tasks = {keywords["task_id"]: keywords for _, keywords in dag.tasks().values()}
    mapped_id = f"{TAP}-via-{MAPPER}-to-{TARGET}"
    assert set(tasks) == {f"{TAP}-to-{TARGET}", f"{TAP}-to-{TARGET}-b", mapped_id}
    assert tasks[mapped_id]["task"] == MAPPED
    assert {keywords["job"] for keywords in tasks.values()} == {"load"}
    assert dag.edges() == {(f"{TAP}-to-{TARGET}", mapped_id), (f"{TAP}-to-{TARGET}-b", mapped_id)}


def test_a_job_without_depends_on_is_a_chain_and_a_repeated_task_gets_a_suffix(
    toy: ToyProject, tmp_path: Path
) -> None:
    root = with_schedules(
        toy,
        [{"name": "twice", "job": "twice", "interval": "0 4 * * *"}],
        jobs=[{"name": "twice", "tasks": [TASK, TASK, MAPPED]}],
    )
    dag = exported(root, tmp_path / "dags")["elt_twice.py"]
    first, again, mapped = (
        f"{TAP}-to-{TARGET}",
        f"{TAP}-to-{TARGET}-2",
        f"{TAP}-via-{MAPPER}-to-{TARGET}",
    )
    assert dag.edges() == {(first, again), (again, mapped)}


def test_task_ids_are_readable_distinct_and_valid_airflow_ids() -> None:
    long = f"tap-{'x' * 200} {' '.join(f'mapper-{n}' for n in range(20))} target-y"
    ids = task_ids(["tap-a target-b", "tap-a target-b", "tap-a m.1 m_2 target-b", long, long])
    assert ids[:3] == ["tap-a-to-target-b", "tap-a-to-target-b-2", "tap-a-via-m.1-m_2-to-target-b"]
    assert len(set(ids)) == 5
    for task_id in ids:
        assert re.fullmatch(r"[\w.-]+", task_id)
        assert len(task_id) <= 250


def test_whole_minute_seconds_are_dropped_and_other_seconds_refused(
    toy: ToyProject, tmp_path: Path
) -> None:
    root = with_schedules(toy, [{"name": "s", "run": TASK, "interval": "*/5 * * * * 0"}])
    assert exported(root, tmp_path / "a")["elt_s.py"].arguments()["schedule"][1] == "*/5 * * * *"
    root = with_schedules(
        toy,
        [
            {"name": "fine", "run": TASK, "interval": "@daily"},
            {"name": "every-second", "run": TASK, "interval": "* * * * * *"},
        ],
    )
    with pytest.raises(ProjectError, match="every-second: Airflow cannot fire on") as raised:
        export_airflow(root, tmp_path / "b")
    assert raised.value.exit_code == 78
    assert not (tmp_path / "b").exists() or not list((tmp_path / "b").iterdir())


def test_catch_up_skip_adds_a_guard_that_skips_a_scheduled_run_started_late(
    toy: ToyProject, tmp_path: Path
) -> None:
    root = with_schedules(
        toy,
        [
            {"name": "daily", "run": TASK, "interval": "@daily", "catch_up": "skip"},
            {"name": "minutely", "run": TASK, "interval": "* * * * *", "catch_up": "skip"},
            {"name": "once", "run": TASK, "interval": "@daily"},
        ],
    )
    dags = exported(root, tmp_path / "dags")
    assert "ShortCircuitOperator" not in dags["elt_once.py"].source
    daily = dags["elt_daily.py"]
    assert daily.edges() == {("skip-missed-firing", f"{TAP}-to-{TARGET}")}
    started_on_time = guard(daily.source)
    fired = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)

    def run(run_type: str, late: timedelta) -> bool:
        dag_run = SimpleNamespace(run_type=run_type, run_after=fired, start_date=fired + late)
        return bool(started_on_time(dag_run=dag_run, ti=None))

    assert run("scheduled", timedelta(seconds=40))
    assert not run("scheduled", timedelta(minutes=6))  # Airflow was down at 00:00
    assert run("manual", timedelta(days=3))  # a run by hand always runs
    # the grace is one cron period when that is shorter than five minutes
    minutely = guard(dags["elt_minutely.py"].source)
    late = SimpleNamespace(
        run_type="scheduled", run_after=fired, start_date=fired + timedelta(seconds=90)
    )
    assert not minutely(dag_run=late)


def guard(source: str) -> Any:
    """The generated skip guard, compiled without the DAG (which needs Airflow)."""
    tree = ast.parse(source)
    kept = [
        node
        for node in tree.body
        if (isinstance(node, ast.FunctionDef) and node.name == "_started_on_time")
        or (isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "GRACE")
    ]
    namespace: dict[str, Any] = {"timedelta": timedelta}
    exec(compile(ast.Module(body=kept, type_ignores=[]), "<dag>", "exec"), namespace)
    return namespace["_started_on_time"]


def test_bash_operator_runs_elt_run_in_the_schedules_environment_and_warns_about_retries(
    toy: ToyProject, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = with_schedules(
        toy,
        [
            {"name": "a", "run": MAPPED, "interval": "@daily", "env": "prod", "retries": 2},
            {"name": "b", "run": TASK, "interval": "@daily"},
        ],
    )
    with caplog.at_level(logging.WARNING, logger="elt.schedule"):
        done = export_airflow(
            root, tmp_path / "dags", operator=Operator.BASH, project_dir="/srv/my project"
        )
    assert [r.getMessage() for r in caplog.records] == list(done.warnings)
    assert len(done.warnings) == 1
    assert "schedule a: with --operator bash, Airflow retries every failed task" in done.warnings[0]
    dags = {p.name: Dag(p.read_text()) for p in done.written}
    ((operator, keywords),) = dags["elt_a.py"].tasks().values()
    assert operator == "BashOperator"
    assert shlex.split(keywords["bash_command"]) == [
        "elt", "--project", "/srv/my project", "-e", "prod", "run", TAP, MAPPER, TARGET
    ]  # fmt: skip
    ((_, keywords),) = dags["elt_b.py"].tasks().values()
    assert shlex.split(keywords["bash_command"]) == [
        "elt",
        "--project",
        "/srv/my project",
        "run",
        TAP,
        TARGET,
    ]
    assert "elt.integrations" not in dags["elt_a.py"].source


def test_regenerating_writes_nothing_new_removes_gone_schedules_and_never_touches_other_files(
    toy: ToyProject, tmp_path: Path
) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    mine = folder / "my_dag.py"
    mine.write_text("# a DAG of my own\n")
    other_project = folder / "elt_theirs.py"
    other_project.write_text(f'{HEADER}\n# ...\n#\n# elt project: "/somewhere/else"\n')
    schedules = [{"name": n, "run": TASK, "interval": "@daily"} for n in ("a", "b")]
    root = with_schedules(toy, schedules)
    first = export_airflow(root, folder)
    assert [p.name for p in first.written] == ["elt_a.py", "elt_b.py"]
    before = {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino) for p in first.written
    }
    assert all(text.startswith(HEADER.encode()) for text, _, _ in before.values())

    again = export_airflow(root, folder)
    assert (again.written, again.removed) == ((), ())
    assert [p.name for p in again.unchanged] == ["elt_a.py", "elt_b.py"]
    after = {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino) for p in again.unchanged
    }
    assert after == before

    root = with_schedules(toy, schedules[:1])
    third = export_airflow(root, folder)
    assert [p.name for p in third.removed] == ["elt_b.py"]
    assert sorted(p.name for p in folder.iterdir()) == ["elt_a.py", "elt_theirs.py", "my_dag.py"]
    assert mine.read_text() == "# a DAG of my own\n"


def test_a_file_of_the_same_name_not_written_by_elt_refuses_the_export(
    toy: ToyProject, tmp_path: Path
) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "elt_b.py").write_text("print('mine')\n")
    root = with_schedules(toy, [{"name": n, "run": TASK, "interval": "@daily"} for n in ("a", "b")])
    with pytest.raises(UsageError, match="was not generated by elt"):
        export_airflow(root, folder)
    assert sorted(p.name for p in folder.iterdir()) == ["elt_b.py"]
    assert (folder / "elt_b.py").read_text() == "print('mine')\n"


def test_the_project_dir_for_workers_must_be_absolute(toy: ToyProject, tmp_path: Path) -> None:
    root = with_schedules(toy, [{"name": "a", "run": TASK, "interval": "@daily"}])
    with pytest.raises(UsageError, match="must be absolute"):
        export_airflow(root, tmp_path / "dags", project_dir="relative/project")


@pytest.mark.parametrize("operator", list(Operator))
def test_any_project_directory_is_baked_in_as_valid_python(
    toy: ToyProject, tmp_path: Path, operator: Operator
) -> None:
    odd = '/srv/it\'s a "project"\n\\with\tall $(of) it'
    root = with_schedules(toy, [{"name": "a", "run": TASK, "interval": "@daily"}])
    folder = tmp_path / "dags"
    export_airflow(root, folder, operator=operator, project_dir=odd)
    tree = ast.parse((folder / "elt_a.py").read_text())
    constants = {ast.unparse(n.targets[0]): n.value for n in tree.body if isinstance(n, ast.Assign)}
    if operator is Operator.ELT:
        assert evaluate(constants["PROJECT_DIR"]) == odd
    else:
        ((_, keywords),) = Dag(ast.unparse(tree)).tasks().values()
        assert shlex.split(keywords["bash_command"])[:3] == ["elt", "--project", odd]
    again = export_airflow(root, folder, operator=operator, project_dir=odd)
    assert [p.name for p in again.unchanged] == ["elt_a.py"]  # still recognised as elt's


@pytest.mark.parametrize("operator", list(Operator))
def test_a_project_dir_airflow_would_render_as_a_template_is_refused(
    toy: ToyProject, tmp_path: Path, operator: Operator
) -> None:
    root = with_schedules(toy, [{"name": "a", "run": TASK, "interval": "@daily"}])
    with pytest.raises(UsageError, match="Jinja"):
        export_airflow(root, tmp_path / "d", operator=operator, project_dir="/srv/{{ x }}")
    assert not (tmp_path / "d").exists()
