"""Run history, retries and alerts through the real CLI, with the toy plugins and real servers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from core.tests.cli.toyruns import Elt, add_to_project, elt_in, history
from core.tests.plugins import MAPPER, TAP, TARGET, ToyProject, elt_executable, wait_for
from tests.fixtures.apiserver import ApiServer, Reply


def test_a_successful_run_is_recorded_with_rows_per_stream(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 3})
    result = elt_in(elt, toy, "run", TAP, MAPPER, TARGET, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rows"] == {"items": 3, "others": 2}
    [run] = history(elt, toy)
    assert run["run_id"] == report["run_id"]
    assert run["blocks"] == [TAP, MAPPER, TARGET]
    assert (run["status"], run["exit_code"], run["error"]) == ("success", 0, None)
    assert (run["trigger"], run["attempt"], run["retry_of"]) == ("cli", 1, None)
    assert run["state_id"] == "default:toy-tap-to-toy-target"
    assert run["rows"] == {"items": 3, "others": 2}
    assert run["log_path"] == str(toy.logs()[0])
    assert run["duration_seconds"] >= 0
    assert (toy.root / ".elt" / "system.db").exists()


def test_a_failed_run_is_recorded_with_its_error_and_shown(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 5, "die_after": 2})
    assert elt_in(elt, toy, "run", TAP, TARGET).exit_code == 70
    [run] = history(elt, toy, "--status", "failed")
    assert run["exit_code"] == 70
    assert run["error"].startswith("tap toy-tap exited with code 3.")
    assert "boom: dying on purpose" in run["error"]
    listed = elt_in(elt, toy, "runs", "list")
    header, row = listed.stdout.splitlines()
    assert header.split()[:4] == ["RUN", "ID", "STARTED", "STATUS"]
    assert row.split()[:2] == [run["run_id"], run["started_at"][:10]]
    assert " failed " in row
    assert row.endswith("tap toy-tap exited with code 3")
    shown = elt_in(elt, toy, "runs", "show", run["run_id"])
    assert shown.exit_code == 0, shown.stderr
    assert f"run:         {run['run_id']}" in shown.stdout
    assert "status:      failed (exit 70)" in shown.stdout
    assert "error:\n  tap toy-tap exited with code 3." in shown.stdout
    assert "INFO toy-tap: boom: dying on purpose" in shown.stdout
    assert history(elt, toy, "--status", "success") == []
    assert history(elt, toy, "--state-id", "other") == []


def test_rows_are_what_the_target_committed_when_it_says_so(elt: Elt, toy: ToyProject) -> None:
    # the tap extracts 5 items, the target commits 2 (a STATE after each) and dies on the 3rd
    toy.write(tap={"count": 5}, target={"die_after": 3, "log_committed": True})
    assert elt_in(elt, toy, "run", TAP, TARGET).exit_code == 70
    [run] = history(elt, toy)
    assert (run["rows"], run["rows_kind"]) == ({"items": 2}, "committed")
    assert toy.ids() == [1, 2]
    listed = elt_in(elt, toy, "runs", "list").stdout.splitlines()[1]
    assert " failed " in listed
    assert "(extracted)" not in listed
    shown = elt_in(elt, toy, "runs", "show", run["run_id"]).stdout
    assert "rows: (committed)\n  items: 2" in shown


def test_rows_a_target_does_not_confirm_are_labelled_extracted(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 3})
    result = elt_in(elt, toy, "run", TAP, TARGET, "--format", "json")
    assert json.loads(result.stdout)["rows_kind"] == "extracted"
    [run] = history(elt, toy)
    assert (run["rows"], run["rows_kind"]) == ({"items": 3, "others": 2}, "extracted")
    row = elt_in(elt, toy, "runs", "list").stdout.splitlines()[1]
    assert "5 (extracted)" in row


def test_a_state_the_target_only_echoes_is_not_stored_by_the_run(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 2})
    assert elt_in(elt, toy, "run", TAP, TARGET).exit_code == 0
    # the tap sends the state it started from; the target echoes it, then dies on a record
    toy.write(tap={"count": 4, "echo_state": True}, target={"die_after": 1})
    result = elt_in(elt, toy, "run", TAP, TARGET)
    assert result.exit_code == 70
    assert "no state was stored by this run" in result.stderr
    assert toy.state() == {"bookmarks": {"items": {"id": 2}}}


def test_runs_list_names_the_job_of_each_task(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 1})
    add_to_project(toy, jobs=[{"name": "nightly", "tasks": [f"{TAP} {TARGET}"]}])
    assert elt_in(elt, toy, "job", "run", "nightly").exit_code == 0
    assert elt_in(elt, toy, "run", TAP, TARGET).exit_code == 0
    header, alone, task = elt_in(elt, toy, "runs", "list").stdout.splitlines()
    assert "JOB" in header.split()
    column = header.index("JOB")
    assert task[column:].startswith("nightly ")
    assert alone[column:].startswith(" ")


def test_logs_prints_the_log_of_a_run_and_an_unknown_run_is_a_usage_error(
    elt: Elt, toy: ToyProject
) -> None:
    toy.write(tap={"count": 1})
    run_id = json.loads(elt_in(elt, toy, "run", TAP, TARGET, "--format", "json").stdout)["run_id"]
    for args in (("logs", run_id), ("logs", "--follow", run_id)):
        result = elt_in(elt, toy, *args)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == toy.logs()[0].read_text()
        assert "toy-tap | INFO toy-tap: done" in result.stdout
    missing = elt_in(elt, toy, "logs", "20990101T000000Z-000000")
    assert missing.exit_code == 2
    assert "no run '20990101T000000Z-000000' in the history" in missing.stderr


def test_a_transient_failure_is_retried_and_the_retry_continues_from_the_bookmark(
    elt: Elt, toy: ToyProject, tmp_path: Path
) -> None:
    marker = tmp_path / "failed-once"
    toy.write(tap={"count": 4, "fail_once_marker": str(marker), "fail_once_after": 2})
    result = elt_in(elt, toy, "run", TAP, TARGET, "--retries", "2", "--retry-delay", "0")
    assert result.exit_code == 0, result.stderr
    assert "failed (tap toy-tap exited with code 75: toy-tap: the source is unavailable" in (
        result.stderr
    )
    assert "retry 1 of 2 in 0.0 s" in result.stderr
    assert toy.ids() == [1, 2, 3, 4]
    retry, first = history(elt, toy)
    assert (first["status"], first["trigger"], first["attempt"]) == ("failed", "cli", 1)
    assert first["error"].startswith("tap toy-tap exited with code 75: toy-tap: the source is")
    assert (retry["status"], retry["trigger"], retry["attempt"]) == ("success", "retry", 2)
    assert retry["retry_of"] == first["run_id"]
    assert retry["rows"] == {"items": 2, "others": 2}
    assert toy.state()["bookmarks"]["items"]["id"] == 4


@pytest.mark.parametrize(
    ("tap_spec", "exit_code"),
    [
        ({"settings": [{"name": "api_key", "required": True}]}, 78),  # bad config
        ({"config": {"count": 3, "die_after": 1}}, 70),  # the plugin's own error
    ],
    ids=["bad-config", "plugin-error"],
)
def test_a_failure_a_retry_cannot_fix_is_not_retried(
    elt: Elt, toy: ToyProject, tap_spec: dict[str, Any], exit_code: int
) -> None:
    toy.write(**tap_spec)
    result = elt_in(elt, toy, "run", TAP, TARGET, "--retries", "3", "--retry-delay", "0")
    assert result.exit_code == exit_code
    assert "retry 1 of" not in result.stderr
    [run] = history(elt, toy)
    assert (run["status"], run["exit_code"]) == ("failed", exit_code)


def test_a_failing_run_fires_the_webhook_with_the_plugins_error(
    elt: Elt, toy: ToyProject, webhook: ApiServer
) -> None:
    token_path = "/services/T000/B000/s3cr3t-token"
    replies = iter([Reply(500, {"error": "busy"}), Reply(200, {"ok": True})])
    webhook.routes[token_path] = lambda request: next(replies)
    toy.write(tap={"count": 5, "die_after": 2})
    add_to_project(
        toy,
        alerts=[{"on": ["failure"], "webhook": webhook.url + token_path, "timeout": 5}],
    )
    result = elt_in(elt, toy, "--log-level", "debug", "run", TAP, TARGET)
    assert result.exit_code == 70
    first, second = webhook.hits(token_path)  # one retry after the 500
    assert first.body == second.body
    payload = second.json()
    [run] = history(elt, toy)
    assert payload["event"] == "failure"
    assert (payload["run_id"], payload["status"]) == (run["run_id"], "failed")
    assert payload["blocks"] == [TAP, TARGET]
    assert payload["error"].startswith("tap toy-tap exited with code 3.")
    assert "boom: dying on purpose" in payload["error"]
    assert payload["log_path"] == str(toy.logs()[0])
    assert payload["text"].startswith(f"elt run {run['run_id']} ({TAP} -> {TARGET}, state id ")
    assert "failed in" in payload["text"]
    assert "tap toy-tap exited with code 3." in payload["text"]
    assert "s3cr3t-token" not in result.stderr
    assert "alert 1 (webhook to 127.0.0.1): sent (failure)" in result.stderr


def test_an_alert_after_retries_reports_the_duration_of_every_attempt(
    elt: Elt, toy: ToyProject, webhook: ApiServer, tmp_path: Path
) -> None:
    webhook.routes["/hook"] = lambda request: Reply(200, {"ok": True})
    toy.write(tap={"count": 2, "fail_once_marker": str(tmp_path / "failed")})
    add_to_project(toy, alerts=[{"on": ["success"], "webhook": webhook.url + "/hook"}])
    result = elt_in(elt, toy, "run", TAP, TARGET, "--retries", "1", "--retry-delay", "2")
    assert result.exit_code == 0, result.stderr
    [hit] = webhook.hits("/hook")
    payload = hit.json()
    assert payload["attempt"] == 2
    # the pause before the retry alone is at least 1 s (half of 2 s is fixed)
    assert payload["duration_seconds"] >= payload["attempt_duration_seconds"] + 1.0
    assert f"succeeded in {payload['duration_seconds']:.1f} s" in payload["text"]


def test_a_webhook_that_fails_never_fails_the_run_nor_leaks_its_url(
    elt: Elt, toy: ToyProject, webhook: ApiServer
) -> None:
    webhook.routes["/hook"] = lambda request: Reply(403, {"error": "bad token"})
    toy.write(tap={"count": 1})
    add_to_project(toy, alerts=[{"on": ["success"], "webhook": webhook.url + "/hook?token=abc"}])
    result = elt_in(elt, toy, "run", TAP, TARGET)
    assert result.exit_code == 0
    assert len(webhook.hits("/hook")) == 1  # a 4xx is not retried
    assert "alert 1 (webhook to 127.0.0.1) failed: HTTP 403" in result.stderr
    assert "token=abc" not in result.stderr


def test_a_command_alert_gets_the_payload_on_stdin_and_run_variables(
    elt: Elt, toy: ToyProject, tmp_path: Path
) -> None:
    out = tmp_path / "alert"
    command = f'cat > {out}.json && echo "$ELT_RUN_ID $ELT_RUN_STATUS $ELT_RUN_EVENT" > {out}.env'
    toy.write(tap={"count": 2})
    add_to_project(toy, alerts=[{"on": ["success"], "command": command}])
    result = elt_in(elt, toy, "run", TAP, TARGET, "--format", "json")
    assert result.exit_code == 0, result.stderr
    run_id = json.loads(result.stdout)["run_id"]
    payload = json.loads(Path(f"{out}.json").read_text())
    assert (payload["run_id"], payload["event"], payload["rows"]) == (
        run_id,
        "success",
        {"items": 2, "others": 2},
    )
    assert Path(f"{out}.env").read_text() == f"{run_id} success success\n"


def test_history_in_postgres_by_url(elt: Elt, toy: ToyProject, pg_database: str) -> None:
    import psycopg

    toy.write(tap={"count": 2})
    add_to_project(toy, system_database=pg_database)
    assert elt_in(elt, toy, "run", TAP, TARGET).exit_code == 0
    [run] = history(elt, toy)
    assert (run["status"], run["rows"]) == ("success", {"items": 2, "others": 2})
    assert not (toy.root / ".elt" / "system.db").exists()
    with psycopg.connect(pg_database) as connection:
        rows = connection.execute("select run_id, status, rows from elt_runs").fetchall()
    assert rows == [(run["run_id"], "success", {"items": 2, "others": 2})]


def test_an_interrupted_run_is_recorded_and_followed_to_its_end(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 10, "hang_after": 2})
    run = toy.start_run()
    wait_for(lambda: toy.ids() == [1, 2])
    [running] = history(elt, toy, "--status", "running")
    follower = subprocess.Popen(
        [elt_executable(), "--project", str(toy.root), "logs", "--follow", running["run_id"]],
        stdout=subprocess.PIPE,
        text=True,
    )
    run.send_signal(signal.SIGTERM)
    run.communicate(timeout=30)
    followed, _ = follower.communicate(timeout=30)
    assert followed.rstrip("\n").endswith("elt | interrupted by SIGTERM")
    assert followed == toy.logs()[0].read_text()
    [interrupted] = history(elt, toy)
    assert (interrupted["status"], interrupted["exit_code"]) == ("interrupted", 143)
    assert interrupted["error"].startswith("interrupted by SIGTERM")


def test_a_run_whose_elt_was_killed_reads_as_unknown(elt: Elt, toy: ToyProject) -> None:
    reports = {name: toy.root / f"{name}.json" for name in ("tap", "target")}
    toy.write(
        tap={"count": 10, "hang_after": 2, "report": str(reports["tap"])},
        target={"report": str(reports["target"])},
    )
    run = toy.start_run()
    wait_for(lambda: toy.ids() == [1, 2])
    assert [r["status"] for r in history(elt, toy)] == ["running"]
    run.kill()
    run.communicate(timeout=30)
    try:
        assert [r["status"] for r in history(elt, toy)] == ["unknown"]
    finally:  # plugins run in their own process groups; PR_SET_PDEATHSIG may have ended them
        for report in reports.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(json.loads(report.read_text())["pid"], signal.SIGKILL)
