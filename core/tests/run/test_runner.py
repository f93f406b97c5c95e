"""run_pipeline end to end with real plugin processes: every way a run can end."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from core.tests.plugins import STATE_ID, TAP, TARGET, ToyProject, wait_for
from elt.errors import ConfigError, PluginError, ProtocolError, UsageError
from elt.history import open_history
from elt.run import RunRequest, run_pipeline
from elt.run.runner import RunResult
from elt.state import LocalStateStore


def run(toy: ToyProject, **options: Any) -> RunResult:
    return run_pipeline(toy.project(), RunRequest(TAP, TARGET, stop_timeout=5.0, **options))


def bookmark(toy: ToyProject, state_id: str = STATE_ID) -> int:
    return int(toy.state(state_id)["bookmarks"]["items"]["id"])


def test_a_run_loads_every_record_and_stores_each_committed_state(toy: ToyProject) -> None:
    toy.write(tap={"count": 5})
    result = run(toy)
    assert toy.ids() == [1, 2, 3, 4, 5]
    assert [r["id"] for r in toy.records("others")] == [1, 2]
    assert (result.tap_exit_code, result.target_exit_code) == (0, 0)
    assert (result.state_id, result.states_stored) == (STATE_ID, 5)
    assert result.state == toy.state() == {"bookmarks": {"items": {"id": 5}}}
    assert result.log_path.is_file()
    assert result.log_path.parent == toy.root / ".elt" / "logs" / "default%3Atoy-tap-to-toy-target"


def test_a_rerun_starts_from_the_bookmark(toy: ToyProject) -> None:
    toy.write(tap={"count": 4})
    run(toy)
    toy.write(tap={"count": 7, "report": str(toy.root / "tap.json")})
    result = run(toy)
    assert toy.report("tap.json")["state"] == {"bookmarks": {"items": {"id": 4}}}
    assert toy.ids() == [1, 2, 3, 4, 5, 6, 7]
    assert result.states_stored == 3


def test_a_partial_state_is_merged_over_the_stored_one(toy: ToyProject) -> None:
    toy.write(tap={"count": 2})
    stored = {"bookmarks": {"elsewhere": {"id": 9}}, "version": 1}
    LocalStateStore.in_project(toy.root).set(STATE_ID, stored)
    run(toy)
    assert toy.state() == {"bookmarks": {"elsewhere": {"id": 9}, "items": {"id": 2}}, "version": 1}


def test_when_the_tap_dies_the_target_commits_what_it_got_and_the_tap_is_named(
    toy: ToyProject,
) -> None:
    toy.write(tap={"count": 10, "die_after": 4})
    with pytest.raises(PluginError) as raised:
        run(toy)
    text = str(raised.value)
    assert text.startswith("tap toy-tap exited with code 3. The last lines of its stderr:\n")
    assert "  INFO toy-tap: boom: dying on purpose\n" in text
    assert "4 states stored by this run; the next run continues from the stored bookmark." in text
    assert f"Full log: {toy.logs()[0]}" in text
    assert toy.ids() == [1, 2, 3, 4]
    assert bookmark(toy) == 4


def test_after_a_tap_failure_the_rerun_has_no_gap_and_no_duplicate(toy: ToyProject) -> None:
    toy.write(tap={"count": 10, "die_after": 6})
    with pytest.raises(PluginError):
        run(toy)
    toy.write(tap={"count": 10})
    run(toy)
    assert toy.ids() == list(range(1, 11))


def test_a_tap_dying_mid_line_is_blamed_though_the_target_fails_on_that_line(
    toy: ToyProject,
) -> None:
    toy.write(tap={"count": 10, "die_after": 3, "die_mid_line": True})
    with pytest.raises(PluginError) as raised:
        run(toy)
    first_line = str(raised.value).splitlines()[0]
    # the tap's own stderr is the clue (it logged no error); the target's error is quoted
    assert first_line.startswith(
        "tap toy-tap exited with code 3; target toy-target then exited with code 6: "
        "toy-target: line 8 is not JSON"
    )
    assert first_line.endswith(". The last lines of its stderr:")
    assert bookmark(toy) == 3
    assert toy.ids() == [1, 2, 3]


def test_when_the_target_dies_the_tap_is_stopped_and_the_bookmark_stays_at_its_last_state(
    toy: ToyProject,
) -> None:
    toy.write(
        tap={"count": 10, "hang_after": 6, "report": str(toy.root / "tap.json")},
        target={"die_after": 4},
    )
    started = time.monotonic()
    with pytest.raises(PluginError) as raised:
        run(toy)
    assert time.monotonic() - started < 5
    text = str(raised.value)
    assert text.startswith(
        "target toy-target exited with code 4; tap toy-tap was stopped. "
        "The last lines of its stderr:\n"
    )
    assert "INFO toy-target: boom: dying on record 4" in text
    assert bookmark(toy) == 3
    assert toy.ids() == [1, 2, 3]
    log = toy.logs()[0].read_text()
    assert "elt | stopping toy-tap (SIGTERM)" in log
    assert "toy-tap | INFO toy-tap: got SIGTERM, stopping" in log
    toy.write(tap={"count": 10})
    run(toy)
    assert toy.ids() == list(range(1, 11))


def test_a_tap_that_ignores_sigterm_is_killed_after_the_stop_timeout(toy: ToyProject) -> None:
    toy.write(tap={"count": 10, "hang_after": 5, "ignore_sigterm": True}, target={"die_after": 2})
    started = time.monotonic()
    with pytest.raises(PluginError, match="tap toy-tap was stopped"):
        run_pipeline(toy.project(), RunRequest(TAP, TARGET, stop_timeout=0.3))
    assert time.monotonic() - started < 5
    log = toy.logs()[0].read_text()
    assert "toy-tap | INFO toy-tap: got SIGTERM, ignoring it" in log
    assert "toy-tap still running 0.3 s after SIGTERM; sending SIGKILL" in log
    assert bookmark(toy) == 1


def test_a_target_that_quits_early_is_named_though_it_exits_0(
    toy: ToyProject, tmp_path: Path
) -> None:
    quitter = tmp_path / "quitter"
    quitter.write_text("#!/bin/sh\nhead -n 1 > /dev/null\n")
    quitter.chmod(0o755)
    toy.write(tap={"count": 10, "hang_after": 3})
    document = json.loads((toy.root / "plugins.yml").read_text())
    document["plugins"]["targets"][0]["executable"] = str(quitter)
    (toy.root / "plugins.yml").write_text(json.dumps(document))
    with pytest.raises(PluginError) as raised:
        run_pipeline(toy.project(), RunRequest(TAP, TARGET, stop_timeout=0.3))
    assert str(raised.value).startswith(
        "target toy-target exited before tap toy-tap finished sending; tap toy-tap was stopped."
    )
    assert toy.state() is None


def test_a_line_on_the_targets_stdout_that_is_not_a_state_is_a_protocol_error(
    toy: ToyProject,
) -> None:
    toy.write(tap={"count": 10, "hang_after": 8}, target={"bad_stdout_after": 2})
    with pytest.raises(ProtocolError) as raised:
        run(toy)
    error = raised.value
    assert error.where == "toy-target stdout line 3"
    assert error.message.startswith("not valid JSON (Expecting value: line 1 column 1 (char 0))")
    assert "the line is 'committed a batch'" in error.message
    assert error.hint is not None
    assert "the bookmark stays at the last valid one (2 states stored by this run)" in error.hint
    assert bookmark(toy) == 2


def test_a_target_dying_while_writing_a_state_is_its_failure_not_bad_data(
    toy: ToyProject,
) -> None:
    toy.write(tap={"count": 10}, target={"truncated_stdout_after": 2})
    with pytest.raises(PluginError, match=r"^target toy-target exited with code 5"):
        run(toy)
    assert bookmark(toy) == 2


@pytest.mark.parametrize("value", ["[1, 2]", "NaN"])
def test_a_state_must_be_a_json_object(toy: ToyProject, tmp_path: Path, value: str) -> None:
    script = tmp_path / "echo-target"
    script.write_text(f"#!/bin/sh\ncat > /dev/null\necho '{value}'\n")
    script.chmod(0o755)
    toy.write(tap={"count": 1})
    document = json.loads((toy.root / "plugins.yml").read_text())
    document["plugins"]["targets"][0]["executable"] = str(script)
    (toy.root / "plugins.yml").write_text(json.dumps(document))
    with pytest.raises(ProtocolError) as raised:
        run(toy)
    assert raised.value.where == "toy-target stdout line 1"
    assert toy.state() is None


def test_a_full_refresh_runs_without_state_and_stores_the_new_state(toy: ToyProject) -> None:
    toy.write(tap={"count": 3})
    run(toy)
    toy.write(tap={"count": 3, "report": str(toy.root / "tap.json")})
    result = run(toy, full_refresh=True)
    report = toy.report("tap.json")
    assert "--state" not in report["argv"]
    assert report["state"] is None
    assert toy.ids() == [1, 2, 3, 1, 2, 3]
    assert result.states_stored == 3
    assert toy.state() == {"bookmarks": {"items": {"id": 3}}}


def test_a_state_id_given_replaces_the_default(toy: ToyProject) -> None:
    toy.write(tap={"count": 2})
    result = run(toy, state_id="backfill/2024")
    assert result.state_id == "backfill/2024"
    assert bookmark(toy, "backfill/2024") == 2
    assert toy.state() is None
    assert result.log_path.parent.name == "backfill%2F2024"


def test_the_state_id_names_the_active_environment_and_plugins_get_its_env(
    toy: ToyProject,
) -> None:
    toy.write(tap={"count": 1, "report": str(toy.root / "tap.json")})
    document = json.loads((toy.root / "plugins.yml").read_text())
    document["environments"] = [{"name": "prod", "env": {"TOY_REGION": "eu"}}]
    (toy.root / "plugins.yml").write_text(json.dumps(document))
    result = run(toy, environment="prod")
    assert result.state_id == "prod:toy-tap-to-toy-target"
    assert toy.report("tap.json")["environ"] == {"TOY_REGION": "eu"}


def test_the_config_file_is_private_while_the_plugin_runs_and_gone_afterwards(
    toy: ToyProject,
) -> None:
    toy.write(
        tap={"count": 1, "report": str(toy.root / "tap.json")},
        target={"report": str(toy.root / "target.json")},
    )
    run(toy)
    tap, target = toy.report("tap.json"), toy.report("target.json")
    assert (tap["config_mode"], tap["config_dir_mode"], target["config_mode"]) == (
        0o600,
        0o700,
        0o600,
    )
    assert not Path(tap["config"]).exists()
    assert not Path(tap["config"]).parent.exists()


def test_secrets_never_reach_the_log_file_or_the_console(
    toy: ToyProject, caplog: pytest.LogCaptureFixture
) -> None:
    toy.write(tap={"count": 1, "password": "hunter2-tap"}, target={"api_token": "tok-3456"})
    with caplog.at_level("DEBUG", logger="elt.run"):
        run(toy)
    log = toy.logs()[0].read_text()
    assert 'elt | toy-tap config: {"password": "********", "count": 1}' in log
    assert "toy-tap | INFO toy-tap: connecting with password ********" in log
    assert "toy-target | INFO toy-target: using token ********" in log
    console = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("hunter2-tap", "tok-3456"):
        assert secret not in log
        assert secret not in console
    assert "toy-tap | INFO toy-tap: connecting with password ********" in console
    assert stat.S_IMODE(toy.logs()[0].stat().st_mode) == 0o600


def test_select_and_metadata_shape_the_catalog_the_tap_runs_with(toy: ToyProject) -> None:
    toy.write(
        tap={"count": 2, "report": str(toy.root / "tap.json")},
        select=["items.*", "!items.note"],
        metadata={"item*": {"replication-method": "INCREMENTAL", "replication-key": "id"}},
    )
    run(toy)
    assert toy.records() == [
        {"stream": "items", "id": 1, "name": "item 1"},
        {"stream": "items", "id": 2, "name": "item 2"},
    ]
    assert toy.records("others") == []
    items = toy.report("tap.json")["catalog"]["streams"][0]
    assert items["replication_method"] == "INCREMENTAL"
    assert items["metadata"][0] == {
        "breadcrumb": [],
        "metadata": {
            "selected-by-default": True,
            "selected": True,
            "replication-method": "INCREMENTAL",
            "replication-key": "id",
        },
    }


def test_without_select_or_metadata_the_tap_runs_on_its_own_catalog(toy: ToyProject) -> None:
    toy.write(tap={"count": 2, "discover_fails": True})
    assert run(toy).tap_exit_code == 0
    assert toy.ids() == [1, 2]


def test_select_rules_that_match_no_stream_stop_the_run_before_the_tap_starts(
    toy: ToyProject,
) -> None:
    toy.write(select=["users.*"], tap={"report": str(toy.root / "tap.json")})
    with pytest.raises(ConfigError) as raised:
        run(toy)
    assert "match no stream (the tap offers: items, others)" in str(raised.value)
    assert not (toy.root / "tap.json").exists()  # only --discover ran, which writes no report
    assert toy.ids() == []
    log = toy.logs()[0].read_text()
    assert "stopping toy-target" not in log  # it started with discovery and saw end of input


def test_a_failed_discovery_names_the_tap_and_its_last_words(toy: ToyProject) -> None:
    toy.write(tap={"discover_fails": True}, select=["items.*"])
    with pytest.raises(PluginError) as raised:
        run(toy)
    text = str(raised.value)
    assert text.startswith(
        "toy-tap: discovery (--discover) exited with code 2: toy-tap: cannot reach the source\n"
    )
    log = toy.logs()[0].read_text()
    # the target starts up while the tap discovers, and exits by itself on end of input
    assert log.index("starting toy-target") < log.index("--discover")
    assert "stopping toy-target" not in log
    assert "toy-target | INFO toy-target: done: 0 records" in log


def test_a_missing_required_setting_fails_before_any_plugin_starts(toy: ToyProject) -> None:
    document = json.loads(toy.write().root.joinpath("plugins.yml").read_text())
    document["plugins"]["targets"][0]["settings"] = [{"name": "dsn", "required": True}]
    (toy.root / "plugins.yml").write_text(json.dumps(document))
    with pytest.raises(ConfigError, match="toy-target: required setting not set: dsn"):
        run(toy)
    assert toy.logs() == []


def test_a_target_that_cannot_be_executed_is_a_plugin_error_and_the_tap_never_starts(
    toy: ToyProject, tmp_path: Path
) -> None:
    garbage = tmp_path / "not-a-program"
    garbage.write_bytes(b"\x00\x01 not an executable format")
    garbage.chmod(0o755)
    toy.write(tap={"count": 3, "report": str(toy.root / "tap.json")})
    document = json.loads((toy.root / "plugins.yml").read_text())
    document["plugins"]["targets"][0]["executable"] = str(garbage)
    (toy.root / "plugins.yml").write_text(json.dumps(document))
    with pytest.raises(PluginError) as raised:
        run(toy)
    assert raised.value.message == "could not start toy-target: Exec format error"
    assert raised.value.where == str(garbage)
    assert not (toy.root / "tap.json").exists()
    assert toy.state() is None


def test_plugins_must_be_given_as_tap_then_target(toy: ToyProject) -> None:
    with pytest.raises(UsageError, match="toy-target is a target, not a tap"):
        run_pipeline(toy.project(), RunRequest(TARGET, TAP))


def test_a_second_run_of_the_same_state_id_fails_at_once_naming_the_first(
    toy: ToyProject,
) -> None:
    toy.write(tap={"count": 10, "hang_after": 2})
    first = toy.start_run()
    try:
        wait_for(lambda: toy.state() is not None and bookmark(toy) == 2)
        started = time.monotonic()
        with pytest.raises(UsageError) as raised:
            run(toy)
        assert time.monotonic() - started < 2
        assert f"(pid {first.pid}, log " in str(raised.value)
        assert f"state '{STATE_ID}' is in use by run " in str(raised.value)
    finally:
        first.send_signal(15)
        first.communicate(timeout=30)
    assert first.returncode == 143
    assert bookmark(toy) == 2


def test_the_shell_pipe_of_the_same_plugins_loads_the_same_data_and_state(
    toy: ToyProject, tmp_path: Path
) -> None:
    toy.write(tap={"count": 5})
    run(toy)
    shell = tmp_path / "shell"
    shell.mkdir()
    (shell / "tap.json").write_text(json.dumps({"count": 5}))
    (shell / "target.json").write_text(json.dumps({"path": str(shell / "output.jsonl")}))
    subprocess.run(
        f"{toy.bin / TAP} --config tap.json | {toy.bin / TARGET} --config target.json > state.json",
        shell=True,
        check=True,
        cwd=shell,
        env={"PATH": os.environ["PATH"]},
        stderr=subprocess.DEVNULL,
    )
    assert (shell / "output.jsonl").read_text() == toy.output.read_text()
    last_state = json.loads((shell / "state.json").read_text().splitlines()[-1])
    assert last_state == toy.state()


def test_overrides_reach_the_plugin_and_the_history_and_must_name_the_runs_plugins(
    toy: ToyProject,
) -> None:
    toy.write(tap={"count": 5, "password": "pw-yml"})
    result = run(toy, overrides={TAP: {"count": 2, "password": "pw-override"}})
    assert toy.ids() == [1, 2]
    with open_history(toy.root, None) as history:
        record = history.get(result.run_id)
    assert record is not None
    assert record.overrides == {TAP: {"count": 2, "password": "********"}}
    with pytest.raises(
        UsageError, match="config overrides of a plugin outside the run: toy-mapper"
    ):
        run(toy, overrides={"toy-mapper": {"rename": {}}})
