from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

Elt = Callable[..., Result]

GOOD = (
    '{"type":"SCHEMA","stream":"users","schema":{"properties":{"id":{}}},"key_properties":["id"]}\n'
    '{"type":"RECORD","stream":"users","record":{"id":1}}\n'
    '{"type":"STATE","value":{"bookmarks":{"users":{"id":1}}}}\n'
)


def test_inspect_counts_records_per_stream_from_a_file(tmp_path: Path, elt: Elt) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text(GOOD)
    result = elt("inspect", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].split() == ["users", "1", "id", "1"]
    assert "3 lines, 1 records, 1 states" in result.stderr


def test_inspect_reads_stdin_and_reports_json(elt: Elt) -> None:
    result = elt("inspect", "--format", "json", input=GOOD)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["streams"]["users"]["messages"] == {"SCHEMA": 1, "RECORD": 1}
    assert report["merged_state"] == {"bookmarks": {"users": {"id": 1}}}


def test_inspect_names_the_bad_line_and_exits_65(tmp_path: Path, elt: Elt) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(GOOD + '{"type":"RECORD","stream":"users","record":\n')
    result = elt("inspect", str(path))
    assert result.exit_code == 65
    assert f"error: {path} line 4: not valid JSON" in result.stderr


def test_inspect_of_a_missing_file_is_a_usage_error(tmp_path: Path, elt: Elt) -> None:
    result = elt("inspect", str(tmp_path / "nope.jsonl"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_inspect_reports_a_truncated_stream_from_a_real_pipe_without_traceback() -> None:
    truncated = GOOD.encode() + b'{"type":"RECORD","stream":"users","rec'
    result = subprocess.run(
        [Path(sys.executable).with_name("elt"), "inspect"],
        input=truncated,
        capture_output=True,
        check=False,
        timeout=60,
    )
    stderr = result.stderr.decode()
    assert result.returncode == 65
    assert "<stdin> line 4: the stream ends in the middle of a message" in stderr
    assert "Traceback" not in stderr


def test_inspect_shows_an_empty_or_nul_name_quoted_and_escaped(tmp_path: Path, elt: Elt) -> None:
    path = tmp_path / "names.jsonl"
    path.write_text(
        '{"type":"SCHEMA","stream":"a\\u0000b","schema":{"properties":{"":{}}},'
        '"key_properties":[""]}\n'
        '{"type":"RECORD","stream":"a\\u0000b","record":{"":1}}\n'
    )
    result = elt("inspect", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].split() == ['"a\\u0000b"', "1", '""', "1"]


def test_inspect_of_100000_levels_of_nesting_exits_65_naming_the_line(
    tmp_path: Path, elt: Elt
) -> None:
    path = tmp_path / "deep.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    path.write_text(GOOD + '{"type":"RECORD","stream":"users","record":{"id":' + deep + "}}\n")
    result = elt("inspect", str(path))
    assert result.exit_code == 65
    assert result.stderr == (
        f"error: {path} line 4: the message is nested more than 1,024 levels deep (arrays and "
        "objects within each other). A message this deep is a producer bug; no target can load "
        "it\n"
    )


def test_inspect_refuses_a_record_turned_into_a_state_by_a_second_type_key(
    tmp_path: Path, elt: Elt
) -> None:
    path = tmp_path / "twice.jsonl"
    path.write_text(
        GOOD + '{"type":"RECORD","stream":"users","record":{"id":2},"type":"STATE","value":{}}\n'
    )
    result = elt("inspect", str(path))
    assert result.exit_code == 65
    assert result.stderr.startswith(
        f'error: {path} line 4: the key "type" appears more than once in this message'
    )
