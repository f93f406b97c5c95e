"""elt.sdk.partitions: ``--partitions`` and ``--partition FILE`` on a real tap process (the
toy tap: a stream cut into its even and odd ids, and one that cannot be cut)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
TAP = "TapToyPartitioned"


def run_tap(*args: str) -> subprocess.CompletedProcess[str]:
    code = f"from core.tests.sdk.toy import {TAP}; {TAP}.cli()"
    return subprocess.run(
        [sys.executable, "-c", code, "--config", '{"count": 10}', *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def messages(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def write(path: Path, value: object) -> str:
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return str(path)


def catalog_deselecting(name: str) -> dict[str, Any]:
    """The tap's discovered catalog with every stream selected but ``name``."""
    catalog: dict[str, Any] = json.loads(run_tap("--discover").stdout)
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["tap_stream_id"] != name
    return catalog


def test_the_plan_lists_only_the_streams_the_tap_can_cut() -> None:
    result = run_tap("--partitions")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "streams": {
            "parity": {
                "partitions": [{"id": "even", "rest": 0}, {"id": "odd", "rest": 1}],
                "bound": None,
            }
        }
    }


def test_a_partition_read_syncs_that_partition_alone_with_its_version_and_one_state(
    tmp_path: Path,
) -> None:
    request = {"stream": "parity", "partition": {"id": "odd", "rest": 1}, "version": 42}
    state = write(tmp_path / "state.json", {"bookmarks": {"numbers": {"seen": 1}}})

    result = run_tap("--partition", write(tmp_path / "odd.json", request), "--state", state)

    assert result.returncode == 0, result.stderr
    sent = messages(result)
    records = [m for m in sent if m["type"] == "RECORD"]
    assert {m["stream"] for m in records} == {"parity"}
    assert [m["record"]["id"] for m in records] == [1, 3, 5, 7, 9]
    assert {m["version"] for m in records} == {42}
    assert "ACTIVATE_VERSION" not in [m["type"] for m in sent]
    assert [m["type"] for m in sent].count("STATE") == 1
    assert sent[-1]["type"] == "STATE"


@pytest.mark.parametrize(
    ("request_text", "where", "says"),
    [
        ("[1]", "", "expected a JSON object, got list"),
        ('{"stream": "parity"}', " field 'partition'", "the partition object"),
        ('{"stream": "parity", "partition": {"id": 3}}', " field 'partition.id'", "non-empty"),
        (
            '{"stream": "parity", "partition": {"id": "odd"}, "version": "1"}',
            " field 'version'",
            "",
        ),
        ('{"stream": "numbers", "partition": {"id": "x"}}', " field 'stream'", "not cut"),
        ('{"stream": "nope", "partition": {"id": "x"}}', " field 'stream'", "catalog selects"),
        ('{"stream": "parity", "partition": {"id": "third"}}', " field 'partition.id'", "even"),
    ],
)
def test_a_bad_request_is_a_configuration_error_naming_file_and_field(
    tmp_path: Path, request_text: str, where: str, says: str
) -> None:
    path = write(tmp_path / "request.json", request_text)

    result = run_tap("--partition", path)

    assert result.returncode == 78
    assert f"{path}{where}: " in result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_request_file_is_a_configuration_error(tmp_path: Path) -> None:
    result = run_tap("--partition", str(tmp_path / "absent.json"))

    assert result.returncode == 78
    assert "absent.json does not exist" in result.stderr


def test_plan_and_partition_together_are_refused(tmp_path: Path) -> None:
    request = write(tmp_path / "r.json", {"stream": "parity", "partition": {"id": "odd"}})

    result = run_tap("--partitions", "--partition", request)

    assert result.returncode == 78
    assert "exclude each other" in result.stderr


def test_about_lists_the_partitions_capability() -> None:
    result = run_tap("--about", "--format", "json")

    assert "elt-partitions" in json.loads(result.stdout)["capabilities"]


def test_help_names_both_flags() -> None:
    result = run_tap("--help")

    assert "--partitions" in result.stdout
    assert "--partition " in result.stdout


def test_a_partition_of_a_stream_the_catalog_deselects_is_refused(tmp_path: Path) -> None:
    catalog = catalog_deselecting("parity")
    request = write(tmp_path / "odd.json", {"stream": "parity", "partition": {"id": "odd"}})

    result = run_tap("--partition", request, "--catalog", write(tmp_path / "catalog.json", catalog))

    assert result.returncode == 78
    assert f"{request} field 'stream': " in result.stderr
    assert "not a stream the catalog selects" in result.stderr


def test_a_deselected_stream_is_left_out_of_the_plan(tmp_path: Path) -> None:
    catalog = catalog_deselecting("parity")

    result = run_tap("--partitions", "--catalog", write(tmp_path / "catalog.json", catalog))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"streams": {}}
