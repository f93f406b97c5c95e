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
