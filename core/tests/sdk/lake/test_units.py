"""The lake writer for units of a split run: unit manifests, held STATEs, the run manifest."""

from __future__ import annotations

import json
from typing import Any

import pytest

from elt.errors import ConfigError, ProtocolError
from tests.fixtures.lake import (
    LakeRun,
    MemoryStore,
    MemoryTarget,
    data_keys,
    rows_through_manifests,
    run_in_process,
)

SCHEMA = {
    "type": "SCHEMA",
    "stream": "s",
    "schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
    "key_properties": ["id"],
}


def batch(first: int, rows: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [SCHEMA]
    for i in range(first, first + rows):
        messages += [{"type": "RECORD", "stream": "s", "record": {"id": i}}]
        messages += [{"type": "STATE", "value": {"at": i}}]
    return messages


def run_unit(
    monkeypatch: pytest.MonkeyPatch,
    store: MemoryStore,
    unit: dict[str, Any],
    messages: list[dict[str, Any]],
    **config: Any,
) -> tuple[LakeRun, list[int]]:
    """Run one unit; also how many store events had happened when each STATE went out."""
    monkeypatch.setenv("ELT_UNIT", json.dumps(unit))
    target = MemoryTarget(store, format="jsonl", compression="none", **config)
    seen: list[int] = []
    write_state = target._write_state

    def spy(value: Any) -> None:
        seen.append(len(store.events))
        write_state(value)

    target._write_state = spy  # type: ignore[method-assign]
    return run_in_process(target, messages), seen


def test_a_unit_writes_its_manifest_last_and_its_one_state_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = MemoryStore()

    done, seen = run_unit(monkeypatch, store, {"id": "ua"}, batch(0, 5), max_rows=2)

    assert done.error is None
    assert done.states == [{"at": 4}]
    assert [e for e in store.events if e[0] == "put"] == [("put", "_manifests/units/ua.json")]
    assert store.events[-1] == ("put", "_manifests/units/ua.json")
    assert seen == [len(store.events)]
    manifest = json.loads(store.objects["_manifests/units/ua.json"])
    assert manifest["status"] == "complete"
    assert manifest["unit"]["id"] == "ua"
    assert [f["key"].rsplit("/", 1)[1] for f in manifest["files"]] == [
        "part-ua-00000.jsonl",
        "part-ua-00001.jsonl",
        "part-ua-00002.jsonl",
    ]


def test_a_unit_does_not_rotate_files_on_commit_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryStore()

    done, _ = run_unit(monkeypatch, store, {"id": "ua"}, batch(0, 20), commit_interval_seconds=0)

    assert done.error is None
    assert len(data_keys(store)) == 1, "parts depend only on the input, so attempts overwrite"


def test_a_failed_unit_writes_no_manifest_and_no_state(monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryStore()
    broken = [*batch(0, 3), {"type": "RECORD", "stream": "s", "record": {"name": "no id"}}]

    done, _ = run_unit(monkeypatch, store, {"id": "ua"}, broken, max_rows=1)

    assert done.error is not None
    assert done.states == []
    assert store.list("_manifests") == []


def test_the_finishing_run_lists_each_units_manifest(monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryStore()
    run_unit(monkeypatch, store, {"id": "ua"}, batch(0, 3))
    run_unit(monkeypatch, store, {"id": "ub"}, batch(10, 2))

    done, _ = run_unit(
        monkeypatch, store, {"id": "urun", "extra": {"finish": ["ua", "ub"]}}, [SCHEMA]
    )

    assert done.error is None
    manifest = json.loads(store.objects["_manifests/urun.json"])
    assert "unit" not in manifest
    assert manifest["units"] == [
        {
            "id": "ua",
            "manifest": "_manifests/units/ua.json",
            "url": "memory://bucket/_manifests/units/ua.json",
            "rows": 3,
            "files": 1,
        },
        {
            "id": "ub",
            "manifest": "_manifests/units/ub.json",
            "url": "memory://bucket/_manifests/units/ub.json",
            "rows": 2,
            "files": 1,
        },
    ]
    assert sorted(r["id"] for r in rows_through_manifests(store)) == [0, 1, 2, 10, 11]


def test_a_finishing_run_without_any_message_still_writes_the_run_manifest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = MemoryStore()
    run_unit(monkeypatch, store, {"id": "ua"}, batch(0, 3))

    done, _ = run_unit(monkeypatch, store, {"id": "urun", "extra": {"finish": ["ua"]}}, [])

    assert done.error is None
    assert [u["id"] for u in json.loads(store.objects["_manifests/urun.json"])["units"]] == ["ua"]


def test_a_finishing_run_refuses_a_unit_without_a_complete_manifest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = MemoryStore()
    run_unit(monkeypatch, store, {"id": "ua"}, batch(0, 3))
    store.objects["_manifests/units/ub.json"] = b'{"status": "partial", "unit": {"id": "ub"}}'

    done, _ = run_unit(
        monkeypatch, store, {"id": "urun", "extra": {"finish": ["ua", "ub"]}}, [SCHEMA]
    )

    assert isinstance(done.error, ProtocolError)
    assert "unit ub cannot be listed in the run manifest" in str(done.error)
    assert "_manifests/urun.json" not in store.objects


@pytest.mark.parametrize("finish", ["ua", [1], ["../x"]])
def test_a_finish_that_is_not_a_list_of_unit_ids_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, finish: Any
) -> None:
    done, _ = run_unit(
        monkeypatch, MemoryStore(), {"id": "urun", "extra": {"finish": finish}}, [SCHEMA]
    )

    assert isinstance(done.error, ConfigError)
    assert "ELT_UNIT" in str(done.error)
