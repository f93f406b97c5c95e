"""elt.sdk.Tap and Target report an EltError as one paragraph with its exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def run_tap(cls: str, *args: str) -> subprocess.CompletedProcess[str]:
    code = f"from core.tests.sdk.toy import {cls}; {cls}.cli()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def test_an_error_during_discover_is_one_paragraph_with_its_exit_code(tmp_path: Path) -> None:
    config = tmp_path / "tap.json"
    config.write_text("{}")
    result = run_tap("TapToyUnreachable", "--config", str(config), "--discover")
    assert result.returncode == 78
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert error.endswith(
        "| tap-toy-unreachable config: the toy source has no streams. Give it some"
    )


def test_discover_without_an_error_writes_the_catalog(tmp_path: Path) -> None:
    config = tmp_path / "tap.json"
    config.write_text("{}")
    result = run_tap("TapToy", "--config", str(config), "--discover")
    assert result.returncode == 0, result.stderr
    streams = json.loads(result.stdout)["streams"]
    assert [s["tap_stream_id"] for s in streams] == ["numbers"]


def test_config_can_be_an_inline_json_object() -> None:
    result = run_tap("TapToy", "--config", '{"count": 3}')
    assert result.returncode == 0, result.stderr
    records = [m for m in map(json.loads, result.stdout.splitlines()) if m["type"] == "RECORD"]
    assert len(records) == 3


def test_an_undeclared_setting_is_refused_naming_the_closest_declared_one() -> None:
    result = run_tap("TapToy", "--config", '{"cont": 3}')
    assert result.returncode == 78
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert "unknown setting 'cont' (did you mean 'count'?)" in error


def test_a_missing_config_file_is_a_configuration_error_without_a_traceback(
    tmp_path: Path,
) -> None:
    result = run_tap("TapToy", "--config", str(tmp_path / "nope.json"))
    assert result.returncode == 78
    assert "Traceback" not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert f"the config file {tmp_path / 'nope.json'} does not exist" in error


def test_a_state_file_of_json_lines_continues_from_its_last_line(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(
        '{"bookmarks": {"other": {"seen": 1}}}\n{"bookmarks": {"other": {"seen": 2}}}\n'
    )
    result = run_tap("TapToy", "--config", '{"count": 1}', "--state", str(state))
    assert result.returncode == 0, result.stderr
    states = [
        m["value"] for m in map(json.loads, result.stdout.splitlines()) if m["type"] == "STATE"
    ]
    assert states[-1]["bookmarks"]["other"] == {"seen": 2}


def test_an_unreadable_state_file_is_one_paragraph_naming_its_line(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"bookmarks": {}}\n{"bookmarks": \n')
    result = run_tap("TapToy", "--config", "{}", "--state", str(state))
    assert result.returncode == 78
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert f"{state} line 2: not valid JSON" in error


def test_help_says_what_config_and_state_take() -> None:
    result = run_tap("TapToy", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "an inline JSON object" in text
    assert "the last line is used" in text
