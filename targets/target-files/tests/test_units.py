"""Units of a split run (``ELT_UNIT``) in a folder: files named after the unit, a manifest per
unit written last, a run manifest listing the units. Real ``target-files`` processes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from target_files import LocalStore

from tests.fixtures.lake import Message, data_keys, lines, rows_through_manifests
from tests.fixtures.targets import UnitDone, finish_unit_target, start_unit_target

TARGET = Path(sys.executable).with_name("target-files")
SCHEMA = {
    "type": "SCHEMA",
    "stream": "items",
    "schema": {"properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
    "key_properties": ["id"],
}


Done = UnitDone


def unit(name: str, attempt: int = 1, **extra: Any) -> dict[str, Any]:
    return {"id": name, "stream": "items", "partition": name, "attempt": attempt, "extra": extra}


def messages(first: int, rows: int) -> list[Message]:
    out: list[Message] = [SCHEMA]
    for i in range(first, first + rows):
        out.append({"type": "RECORD", "stream": "items", "record": {"id": i, "name": f"n{i}"}})
        if i % 50 == 0:
            out.append({"type": "STATE", "value": {"at": i}})
    out.append({"type": "STATE", "value": {"at": first + rows}})
    return out


@pytest.fixture
def config(folder: Path, tmp_path: Path) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"path": str(folder), "max_rows": 100, "format": "jsonl"}))
    return path


def start(config: Path, identity: dict[str, Any] | None) -> subprocess.Popen[bytes]:
    return start_unit_target(TARGET, config, identity)


def run(config: Path, identity: dict[str, Any] | None, data: bytes) -> Done:
    return finish_unit_target(start(config, identity), data, timeout=120)


def finish(config: Path, *units: str) -> Done:
    """The coordinator's last run: the stream's SCHEMA, ``extra.finish`` listing the units."""
    return run(config, unit("urun", finish=list(units)), lines([SCHEMA]))


def test_two_units_at_once_write_distinct_files_and_the_run_manifest_lists_both(
    config: Path, folder: Path
) -> None:
    one = start(config, unit("ua"))
    two = start(config, unit("ub"))
    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(
                lambda pair: pair[0].communicate(lines(pair[1]), timeout=120),
                [(one, messages(0, 450)), (two, messages(1000, 450))],
            )
        )
    assert (one.returncode, two.returncode) == (0, 0), [err.decode() for _, err in results]
    assert [json.loads(out) for out, _ in results] == [{"at": 450}, {"at": 1450}]
    store = LocalStore(folder)
    keys = data_keys(store)
    assert len(keys) == 10
    assert sum("-ua-" in k for k in keys) == sum("-ub-" in k for k in keys) == 5
    assert store.list("_manifests") == ["_manifests/units/ua.json", "_manifests/units/ub.json"]

    done = finish(config, "ua", "ub")

    assert done.code == 0, done.stderr
    run_manifest = json.loads(store.read("_manifests/urun.json"))
    assert [(u["id"], u["manifest"], u["rows"], u["files"]) for u in run_manifest["units"]] == [
        ("ua", "_manifests/units/ua.json", 450, 5),
        ("ub", "_manifests/units/ub.json", 450, 5),
    ]
    ids = sorted(r["id"] for r in rows_through_manifests(store))
    assert ids == [*range(450), *range(1000, 1450)]


def test_a_rerun_of_a_unit_replaces_its_files(config: Path, folder: Path) -> None:
    data = lines(messages(0, 250))
    assert run(config, unit("ua"), data).code == 0
    store = LocalStore(folder)
    before = data_keys(store)

    rerun = run(config, unit("ua", attempt=2), data)

    assert rerun.code == 0, rerun.stderr
    assert rerun.states == [{"at": 250}]
    assert data_keys(store) == before
    assert json.loads(store.read("_manifests/units/ua.json"))["unit"]["attempt"] == 2
    assert finish(config, "ua").code == 0
    assert sorted(r["id"] for r in rows_through_manifests(store)) == list(range(250))


def test_a_unit_killed_midway_leaves_no_unit_manifest_and_no_state(
    config: Path, folder: Path
) -> None:
    process = start(config, unit("ua"))
    assert process.stdin is not None
    process.stdin.write(lines(messages(0, 350)[:-1]))
    process.stdin.flush()
    store = LocalStore(folder)
    deadline = time.monotonic() + 60
    while len(data_keys(store)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    out, _ = process.communicate(timeout=30)

    assert len(data_keys(store)) >= 3, "files of the unit were committed before the kill"
    assert out == b""
    assert store.list("_manifests") == []
    done = finish(config, "ua")
    assert done.code == 65
    assert "unit ua cannot be listed in the run manifest: there is no manifest" in done.stderr


def test_a_finish_that_is_not_a_list_of_unit_ids_exits_78(config: Path) -> None:
    done = run(config, unit("urun", finish="ua"), lines([SCHEMA]))

    assert done.code == 78
    assert "ELT_UNIT" in done.stderr
