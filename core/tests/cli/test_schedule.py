"""``elt job`` and ``elt schedule``: edits of plugins.yml that keep its comments."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from core.tests.plugins import TAP, TARGET, ToyProject
from elt.history import Trigger, open_history

Elt = Callable[..., Result]


def test_job_and_schedule_add_list_remove_keep_comments(elt: Elt, project: Path) -> None:
    path = project / "plugins.yml"
    path.write_text("# my project\n" + path.read_text() + "# the end\n")
    at = ("--project", str(project))
    added = elt(*at, "job", "add", "nightly", "tap-csv  target-postgres")
    assert added.exit_code == 0, added.stderr
    assert "added job nightly (jobs[0]): 1 tasks" in added.stdout
    result = elt(
        *at,
        "schedule",
        "add",
        "night",
        "--job",
        "nightly",
        "--interval",
        "0 3 * * *",
        "--retries",
        "2",
        "--catch-up",
        "skip",
    )
    assert result.exit_code == 0, result.stderr
    text = path.read_text()
    assert text.startswith("# my project\n")
    assert "# the end" in text
    assert "tasks:\n      - tap-csv target-postgres" in text
    listed = json.loads(elt(*at, "schedule", "list", "--format", "json").stdout)
    assert listed[0]["job"] == "nightly"
    assert listed[0]["catch_up"] == "skip"
    assert listed[0]["next_at"].endswith("T03:00:00Z")
    assert "nightly  tap-csv target-postgres" in elt(*at, "job", "list").stdout
    refused = elt(*at, "job", "remove", "nightly")
    assert refused.exit_code == 2
    assert "used by schedule night" in refused.stderr
    assert elt(*at, "schedule", "remove", "night").exit_code == 0
    assert elt(*at, "job", "remove", "nightly").exit_code == 0
    assert "jobs" not in path.read_text()
    assert "# my project" in path.read_text()


def test_bad_tasks_and_intervals_are_refused_with_their_yaml_path(elt: Elt, project: Path) -> None:
    at = ("--project", str(project))
    before = (project / "plugins.yml").read_text()
    unknown = elt(*at, "job", "add", "j", "tap-csv target-nope")
    assert unknown.exit_code == 78
    assert 'jobs[0].tasks[0]: unknown target "target-nope"' in unknown.stderr
    swapped = elt(
        *at, "schedule", "add", "s", "--run", "target-postgres tap-csv", "--interval", "@daily"
    )
    assert '"target-postgres" is a target where' in swapped.stderr
    cron = elt(*at, "schedule", "add", "s", "--run", "tap-csv target-postgres", "--interval", "* *")
    assert "schedules[0].interval" in cron.stderr
    assert "not a cron expression" in cron.stderr
    both = elt(*at, "schedule", "add", "s", "--job", "j", "--run", "a b", "--interval", "@daily")
    assert both.exit_code == 2
    zone = elt(*at, "schedule", "add", "s", "--run", "tap-csv target-postgres",
               "--interval", "@daily", "--timezone", "Europe/Nowhere")  # fmt: skip
    assert zone.exit_code == 78
    assert 'schedules[0].timezone: "Europe/Nowhere" is not a time zone' in zone.stderr
    assert (project / "plugins.yml").read_text() == before


def test_a_schedule_in_a_time_zone_is_listed_with_it(elt: Elt, project: Path) -> None:
    at = ("--project", str(project))
    added = elt(*at, "schedule", "add", "morning", "--run", "tap-csv target-postgres",
                "--interval", "30 6 * * *", "--timezone", "Asia/Kolkata")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    assert "timezone: Asia/Kolkata" in (project / "plugins.yml").read_text()
    (listed,) = json.loads(elt(*at, "schedule", "list", "--format", "json").stdout)
    assert listed["timezone"] == "Asia/Kolkata"
    assert listed["next_at"].endswith("T01:00:00Z")  # 06:30 IST, no daylight saving time
    assert "Asia/Kolkata" in elt(*at, "schedule", "list").stdout


def test_schedule_run_runs_it_now_as_a_cli_run_of_the_schedule(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 1})
    at = ("--project", str(toy.root))
    assert (
        elt(
            *at, "schedule", "add", "now", "--run", f"{TAP} {TARGET}", "--interval", "@daily"
        ).exit_code
        == 0
    )
    (never,) = json.loads(elt(*at, "schedule", "list", "--format", "json").stdout)
    assert never["last_run"] is None
    result = elt(*at, "schedule", "run", "now")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"{TAP} -> {TARGET}: done in ")
    with open_history(toy.root, None) as history:
        (row,) = history.list_runs()
    assert (row.origin.trigger, row.origin.schedule) == (Trigger.CLI, "now")
    (listed,) = json.loads(elt(*at, "schedule", "list", "--format", "json").stdout)
    assert (listed["last_run"]["run_id"], listed["last_run"]["status"]) == (row.run_id, "success")
    assert f"success {listed['last_run']['started_at']}" in elt(*at, "schedule", "list").stdout
    assert elt(*at, "schedule", "run", "nope").exit_code == 2


def test_schedules_are_listed_when_the_history_cannot_be_read(elt: Elt, project: Path) -> None:
    path = project / "plugins.yml"
    path.write_text(path.read_text() + "system_database: postgresql://postgres@127.0.0.1:1/none\n")
    at = ("--project", str(project))
    added = elt(
        *at, "schedule", "add", "s", "--run", "tap-csv target-postgres", "--interval", "@daily"
    )
    assert added.exit_code == 0, added.stderr
    listed = elt(*at, "schedule", "list")
    assert listed.exit_code == 0
    assert listed.stdout.splitlines()[1].split()[0] == "s"
    assert listed.stdout.splitlines()[1].endswith("-")
    assert "note: no last runs shown: " in listed.stderr


def test_schedule_export_airflow_says_what_it_wrote_kept_and_removed(
    elt: Elt, project: Path, tmp_path: Path
) -> None:
    at = ("--project", str(project))
    for name in ("a", "b"):
        added = elt(
            *at, "schedule", "add", name, "--run", "tap-csv target-postgres", "--interval", "@daily"
        )
        assert added.exit_code == 0, added.stderr
    dags = tmp_path / "dags"
    first = elt(*at, "schedule", "export", "airflow", str(dags))
    assert first.exit_code == 0, first.stderr
    assert first.stdout.splitlines() == [f"wrote {dags / 'elt_a.py'}", f"wrote {dags / 'elt_b.py'}"]
    assert elt(*at, "schedule", "remove", "b").exit_code == 0
    again = elt(*at, "schedule", "export", "airflow", str(dags), "--project-dir", "/opt/project")
    assert again.stdout.splitlines() == [f"wrote {dags / 'elt_a.py'}"]  # another project dir
    assert 'PROJECT_DIR = "/opt/project"' in (dags / "elt_a.py").read_text()
    # elt_b.py named the project's own directory, not /opt/project: left for its owner
    assert (dags / "elt_b.py").exists()
    third = elt(*at, "schedule", "export", "airflow", str(dags))
    assert third.stdout.splitlines() == [
        f"wrote {dags / 'elt_a.py'}",
        f"removed {dags / 'elt_b.py'}",
    ]
    bash = elt(*at, "schedule", "export", "airflow", str(dags), "--operator", "bash")
    assert bash.stdout.splitlines() == [f"wrote {dags / 'elt_a.py'}"]
    assert "BashOperator" in (dags / "elt_a.py").read_text()
    wrong = elt(*at, "schedule", "export", "airflow", str(dags), "--operator", "python")
    assert wrong.exit_code == 2
