"""One partition per file (elt-partitions), planned and read by the real tap-csv executable:
the partitions together send what one whole sync sends."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from elt.protocol.state import deep_merge
from tests.fixtures.taps import TapRun, csv_batch_config

RunTap = Callable[..., TapRun]
Write = Callable[..., Path]

FILES = {
    "data/2026/01/a.csv": range(1, 251),
    "data/2026/01/b.csv": range(251, 501),
    "data/2026/02/c.csv": range(501, 751),
    "data/d.csv": range(751, 1001),
}


@pytest.fixture
def data(write: Write, tmp_path: Path) -> Path:
    for name, ids in FILES.items():
        write(name, "id,day\n" + "".join(f"{i},2026-01-{i % 28 + 1:02d}\n" for i in ids))
    return tmp_path / "data"


def config(path: Path | str, **settings: Any) -> dict[str, Any]:
    return {"files": [{"entity": "t", "path": str(path), "keys": ["id"], **settings}]}


def read(
    run_tap: RunTap, tmp_path: Path, conf: dict[str, Any], partition: dict[str, Any], **request: Any
) -> TapRun:
    body = {"stream": "t", "partition": partition, "bound": None, "version": None, **request}
    path = tmp_path / "request.json"
    path.write_text(json.dumps(body))
    run = run_tap(conf, "--partition", str(path))
    assert run.code == 0, run.stderr
    return run


def test_each_file_is_a_partition_and_together_they_are_one_whole_sync(
    run_tap: RunTap, data: Path, tmp_path: Path
) -> None:
    conf = config(data)

    whole = run_tap(conf)
    plan = run_tap(conf, "--partitions").messages[0]["streams"]["t"]
    runs = [read(run_tap, tmp_path, conf, partition) for partition in plan["partitions"]]

    assert [p["id"] for p in plan["partitions"]] == [
        "2026/01/a.csv",
        "2026/01/b.csv",
        "2026/02/c.csv",
        "d.csv",
    ]
    assert plan["bound"] is None
    for run, ids in zip(runs, FILES.values(), strict=True):
        assert [r["id"] for r in run.records()] == list(ids)
    union = sorted((r for run in runs for r in run.records()), key=lambda r: r["id"])
    assert union == sorted(whole.records(), key=lambda r: r["id"])
    merged: dict[str, Any] = {}
    for run in runs:
        merged = deep_merge(merged, run.state)  # as the coordinator merges partitions
    assert merged["bookmarks"]["t"]["files"] == whole.state["bookmarks"]["t"]["files"]


def test_a_partition_leaves_its_file_and_its_highest_key_in_the_bookmark(
    run_tap: RunTap, data: Path, tmp_path: Path
) -> None:
    conf = config(data, replication_key="id")

    run = read(run_tap, tmp_path, conf, {"id": "2026/01/b.csv"})

    bookmark = run.state["bookmarks"]["t"]
    assert list(bookmark["files"]) == [str(data / "2026/01/b.csv")]
    assert bookmark["replication_key_value"] == 500


def test_a_replaced_stream_partition_carries_the_version_and_sends_no_activate_version(
    run_tap: RunTap, data: Path, tmp_path: Path
) -> None:
    conf = {**config(data), "emit_activate_version_messages": True}

    run = read(run_tap, tmp_path, conf, {"id": "d.csv"}, version=77)

    assert "ACTIVATE_VERSION" not in run.types()
    assert {m["version"] for m in run.messages if m["type"] == "RECORD"} == {77}


def test_a_partition_on_the_csv_batch_path_writes_only_its_file(
    run_tap: RunTap, data: Path, tmp_path: Path
) -> None:
    conf = {**config(data), **csv_batch_config(str(tmp_path / "batches"))}

    run = read(run_tap, tmp_path, conf, {"id": "2026/02/c.csv"})

    ids = []
    for message in run.messages:
        if message["type"] == "BATCH":
            with Path(urlsplit(message["manifest"][0]).path).open(newline="") as rows:
                ids.extend(int(row["id"]) for row in csv.DictReader(rows))
    assert ids == list(FILES["data/2026/02/c.csv"])


def test_ids_of_a_glob_are_relative_to_the_folder_before_its_wildcard(
    run_tap: RunTap, data: Path
) -> None:
    plan = run_tap(config(f"{data}/2026/**/*.csv"), "--partitions")

    ids = [p["id"] for p in plan.messages[0]["streams"]["t"]["partitions"]]
    assert ids == ["01/a.csv", "01/b.csv", "02/c.csv"]


@pytest.mark.parametrize(
    "case",
    [
        ({"stream": "t", "partition": {"id": "e.csv"}}, "partition.id", "has no file 'e.csv'"),
        ({"stream": "t", "partition": {"id": "d.csv"}, "bound": 3}, "bound", "bound is null"),
        ({"stream": "u", "partition": {"id": "d.csv"}}, "stream", "catalog selects"),
    ],
)
def test_a_request_for_a_file_or_stream_the_tap_does_not_have_is_refused(
    run_tap: RunTap, data: Path, tmp_path: Path, case: tuple[dict, str, str]
) -> None:
    request_body, field, says = case
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request_body))

    run = run_tap(config(data), "--partition", str(path))

    assert run.code == 78
    assert f"{path} field '{field}': " in run.stderr
    assert says in run.stderr


def test_about_lists_the_partitions_capability(run_tap: RunTap) -> None:
    about = run_tap({}, "--about", "--format", "json")

    assert "elt-partitions" in about.messages[0]["capabilities"]
