from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from core.tests.plugins import MAPPER, STATE_ID, TAP, TARGET, ToyProject

Elt = Callable[..., Result]


def run(elt: Elt, toy: ToyProject, *args: str) -> Result:
    return elt("--project", str(toy.root), *args)


def test_elt_run_loads_and_prints_a_summary(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 3})
    result = run(elt, toy, "run", TAP, TARGET)
    assert result.exit_code == 0, result.stderr
    first, header, items, others, log = result.stdout.splitlines()
    assert first.startswith("toy-tap -> toy-target: done in ")
    assert first.endswith(f"3 states stored under {STATE_ID}")
    assert header.split() == ["STREAM", "ROWS", "ROWS/S", "SECONDS"]
    assert (items.split()[:2], others.split()[:2]) == (["items", "3"], ["others", "2"])
    assert log == f"log: {toy.logs()[0]}"
    assert result.stderr == ""
    assert toy.ids() == [1, 2, 3]


def test_elt_run_reports_json_for_schedulers(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 2})
    result = run(elt, toy, "run", TAP, TARGET, "--format", "json", "--state-id", "nightly")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["state_id"] == "nightly"
    assert (report["tap"], report["mappers"], report["target"]) == (TAP, [], TARGET)
    assert (report["status"], report["exit_code"], report["error"]) == ("success", 0, None)
    assert (report["states_stored"], report["state"]) == (2, {"bookmarks": {"items": {"id": 2}}})
    assert report["log"] == str(toy.logs()[0])


def test_plugin_stderr_reaches_the_console_tagged_at_log_level_info(
    elt: Elt, toy: ToyProject
) -> None:
    toy.write(tap={"count": 1, "password": "pw-123456"})
    quiet = run(elt, toy, "run", TAP, TARGET)
    assert "toy-tap |" not in quiet.stderr
    loud = run(elt, toy, "--log-level", "info", "run", TAP, TARGET)
    assert "INFO elt.run: toy-tap | INFO toy-tap: connecting with password ********" in (
        loud.stderr
    )
    assert "INFO elt.run: toy-target | INFO toy-target: done: 2 records" in loud.stderr
    assert "pw-123456" not in loud.stderr


def test_a_failed_plugin_exits_70_with_one_message_naming_it(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 10, "die_after": 2})
    result = run(elt, toy, "run", TAP, TARGET)
    assert result.exit_code == 70
    assert result.stdout == ""
    assert result.stderr.startswith("error: tap toy-tap exited with code 3.")
    assert result.stderr.endswith(f"Full log: {toy.logs()[0]}\n")


def test_a_plugins_exit_class_is_elts_and_its_error_is_said_once(
    elt: Elt, toy: ToyProject, tmp_path: Path
) -> None:
    toy.write(tap={"count": 3, "fail_once_marker": str(tmp_path / "failed-once")})
    result = run(elt, toy, "run", TAP, TARGET)
    assert result.exit_code == 75  # the tap's "retry may help", not a generic 70
    message = "the source is unavailable right now (a retry may succeed)"
    assert result.stderr.count(message) == 1
    assert result.stderr.startswith(
        f"error: tap toy-tap exited with code 75: toy-tap: {message}.\n"
    )
    assert "The last lines of its stderr" not in result.stderr


def test_a_plugins_error_lines_reach_the_console_when_it_does_not_fail(
    elt: Elt, toy: ToyProject
) -> None:
    toy.write(tap={"count": 1}, target={"log_error": "disk almost full"})
    result = run(elt, toy, "run", TAP, TARGET)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("disk almost full") == 1


def test_a_bad_state_line_exits_65(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 3}, target={"bad_stdout_after": 1})
    result = run(elt, toy, "run", TAP, TARGET)
    assert result.exit_code == 65
    assert result.stderr.startswith("error: toy-target stdout line 2: not valid JSON")


def test_full_refresh_extracts_everything_again(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 2})
    assert run(elt, toy, "run", TAP, TARGET).exit_code == 0
    assert run(elt, toy, "run", TAP, TARGET).exit_code == 0
    assert run(elt, toy, "run", TAP, TARGET, "--full-refresh").exit_code == 0
    assert toy.ids() == [1, 2, 1, 2]


def test_an_unknown_plugin_is_a_project_error(elt: Elt, toy: ToyProject) -> None:
    result = run(elt, toy, "run", "tap-nope", TARGET)
    assert result.exit_code == 78
    assert 'unknown plugin "tap-nope"' in result.stderr


def test_run_no_install_refuses_missing_plugins_naming_the_install_command(
    elt: Elt, tmp_path: Path
) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "plugins.yml").write_text(
        "version: 1\nplugins:\n  taps:\n    - {name: tap-nowhere-xyz}\n"
        "  targets:\n    - {name: target-nowhere-xyz}\n"
    )
    result = elt(
        "--project", str(root), "run", "tap-nowhere-xyz", "target-nowhere-xyz", "--no-install"
    )
    assert result.exit_code == 70
    assert result.stderr == (
        "error: not installed: tap-nowhere-xyz, target-nowhere-xyz (--no-install). Run "
        "`elt install tap-nowhere-xyz target-nowhere-xyz` first, or leave out --no-install\n"
    )
    assert not (root / ".elt" / "plugins").exists()


def test_a_mapper_between_tap_and_target_sees_every_message(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 3}, mapper={"rename": {"name": "label"}}, select=["items.*"])
    result = run(elt, toy, "run", TAP, MAPPER, TARGET, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["mappers"] == [MAPPER]
    records = toy.records()
    assert [r["id"] for r in records] == [1, 2, 3]
    assert all("label" in r and "name" not in r for r in records)
    assert toy.state()["bookmarks"]["items"]["id"] == 3


def test_a_failing_mapper_is_named_and_the_committed_bookmark_kept(
    elt: Elt, toy: ToyProject
) -> None:
    toy.write(tap={"count": 5}, mapper={"die_after": 3})
    result = run(elt, toy, "run", TAP, MAPPER, TARGET)
    assert result.exit_code == 70
    assert f"mapper {MAPPER} exited with code 6" in result.stderr
    assert "cannot map this record" in result.stderr
    assert toy.ids() == [1, 2]
    assert toy.state()["bookmarks"]["items"]["id"] == 2


def test_a_mapper_in_the_tap_or_target_place_is_a_usage_error(elt: Elt, toy: ToyProject) -> None:
    toy.write()
    result = run(elt, toy, "run", TAP, TARGET, MAPPER)
    assert result.exit_code == 2
    assert "toy-mapper is a mapper, not a target" in result.stderr
    assert "TAP [MAPPER...] TARGET" in result.stderr
