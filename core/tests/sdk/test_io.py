from __future__ import annotations

import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from singer_sdk.singerlib.encoding.simple import RecordMessage, StateMessage

from elt.protocol import read_messages
from elt.sdk import OrjsonWriter

REPO = Path(__file__).resolve().parents[3]


def run_plugin(cls: str, config: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    code = f"from core.tests.sdk.toy import {cls}; {cls}.cli()"
    return subprocess.run(
        [sys.executable, "-c", code, "--config", config],
        input=stdin,
        capture_output=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )


@pytest.fixture
def tap_config(tmp_path: Path) -> str:
    path = tmp_path / "tap.json"
    path.write_text('{"count": 5}')
    return str(path)


@pytest.fixture
def target_config(tmp_path: Path) -> str:
    path = tmp_path / "target.json"
    path.write_text(f'{{"output_dir": "{tmp_path}"}}')
    return str(path)


def test_tap_output_is_valid_singer_and_keeps_decimal_digits(tap_config: str) -> None:
    result = run_plugin("TapToy", tap_config)
    assert result.returncode == 0, result.stderr.decode()
    messages = list(read_messages(io.BytesIO(result.stdout)))
    assert [m["type"] for m in messages] == ["SCHEMA"] + ["RECORD"] * 5 + ["STATE"]
    assert messages[1]["record"]["amount"] == Decimal("12345678901234.123456789")
    assert messages[1]["record"]["label"] == "número 0"
    assert "time_extracted" in messages[1]
    assert result.stdout.endswith(b"\n")


def test_writer_buffers_records_and_flushes_on_state(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = io.BytesIO()
    flushes: list[int] = []
    stdout = io.TextIOWrapper(raw, encoding="utf-8")
    monkeypatch.setattr(stdout.buffer, "flush", lambda: flushes.append(len(raw.getvalue())))
    monkeypatch.setattr(sys, "stdout", stdout)
    writer = OrjsonWriter()
    for i in range(100):
        writer.write_message(RecordMessage(stream="s", record={"id": i}))
    assert raw.getvalue() == b""
    writer.write_message(StateMessage(value={"bookmarks": {"s": {"id": 99}}}))
    assert flushes
    assert [m["type"] for m in read_messages(io.BytesIO(raw.getvalue()))] == ["RECORD"] * 100 + [
        "STATE"
    ]


def test_target_loads_records_and_echoes_state(tmp_path: Path, target_config: str) -> None:
    stream = (
        b'{"type":"SCHEMA","stream":"s","schema":{"properties":{"id":{"type":"integer"}}},"key_properties":["id"]}\n'
        b'{"type":"RECORD","stream":"s","record":{"id":1}}\n'
        b'{"type":"STATE","value":{"bookmarks":{"s":{"id":1}}}}\n'
    )
    result = run_plugin("TargetToy", target_config, stream)
    assert result.returncode == 0, result.stderr.decode()
    assert (tmp_path / "s.jsonl").read_text() == '{"id": 1}\n'
    assert b'{"bookmarks": {"s": {"id": 1}}}' in result.stdout


def test_target_reports_malformed_line_with_its_number_and_no_traceback(
    target_config: str,
) -> None:
    stream = b'{"type":"STATE","value":{}}\n{"type":"RECORD",\n'
    result = run_plugin("TargetToy", target_config, stream)
    stderr = result.stderr.decode()
    assert result.returncode == 65
    assert "<stdin> line 2: not valid JSON" in stderr
    assert "Traceback" not in stderr


def test_target_reports_record_before_schema_with_line_and_stream(target_config: str) -> None:
    stream = b'{"type":"STATE","value":{}}\n{"type":"RECORD","stream":"users","record":{"id":1}}\n'
    result = run_plugin("TargetToy", target_config, stream)
    stderr = result.stderr.decode()
    assert result.returncode == 65
    assert (
        "<stdin> line 2, stream 'users': A record for stream 'users' was encountered before"
        in stderr
    )
    assert "Traceback" not in stderr


def test_invalid_config_is_one_paragraph_with_exit_78(tmp_path: Path) -> None:
    config = tmp_path / "bad.json"
    config.write_text('{"count": "abc"}')
    result = run_plugin("TapToy", str(config))
    stderr = result.stderr.decode()
    assert result.returncode == 78
    assert "the configuration is invalid: 'abc' is not of type 'integer'" in stderr
    assert "Compare it with the settings listed by --about" in stderr
    assert "Traceback" not in stderr
