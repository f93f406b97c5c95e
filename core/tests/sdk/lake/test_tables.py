"""The table seam: a table is committed where the manifest is, before the STATE it lets go."""

from __future__ import annotations

from typing import Any

from elt.errors import ServiceError
from elt.sdk.lake import Manifest, ObjectStore, TableCommit
from tests.fixtures.lake import MemoryStore, MemoryTarget, run_in_process

PROPS = {"id": {"type": "integer"}}


def messages(count: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [
        {"type": "SCHEMA", "stream": "s", "schema": {"properties": PROPS}, "key_properties": []}
    ]
    for i in range(count):
        found += [
            {"type": "RECORD", "stream": "s", "record": {"id": i}},
            {"type": "STATE", "value": {"at": i}},
        ]
    return found


class RecordingTable:
    """Notes, at each commit, the files it was given and what the store held."""

    def __init__(self, store: MemoryStore, fail: bool = False) -> None:
        self.store = store
        self.fail = fail
        self.commits: list[tuple[list[str], bool, int]] = []

    def commit(self, manifest: Manifest, *, complete: bool) -> None:
        if self.fail:
            raise ServiceError("the catalog refused the commit")
        puts = sum(1 for kind, _ in self.store.events if kind == "put")
        self.commits.append(([f.key for f in manifest.files], complete, puts))


class TableTarget(MemoryTarget):
    name = "target-table"

    def __init__(self, store: MemoryStore, table: RecordingTable, **config: Any) -> None:
        super().__init__(store, **config)
        self.table = table

    def open_table(self, store: ObjectStore) -> TableCommit | None:
        return self.table


def test_each_commit_follows_the_manifest_and_comes_before_the_state_it_lets_go() -> None:
    store = MemoryStore()
    table = RecordingTable(store)
    target = TableTarget(store, table, max_rows=2)
    seen_at_state: list[int] = []
    write_state = target._write_state

    def spy(value: Any) -> None:
        seen_at_state.append(len(table.commits))
        write_state(value)

    target._write_state = spy  # type: ignore[method-assign]
    done = run_in_process(target, messages(5))
    assert done.error is None, done.error
    assert done.states == [{"at": i} for i in range(5)]
    # files of 2, 2 and 1 rows: a partial commit each, the last complete
    assert [(len(keys), complete) for keys, complete, _ in table.commits] == [
        (1, False),
        (2, False),
        (3, True),
    ]
    assert [puts for _, _, puts in table.commits] == [1, 2, 3]  # each after its manifest
    # a STATE goes out once the table holds the file of its records
    assert seen_at_state == [1, 1, 2, 2, 3]


def test_a_table_that_cannot_commit_holds_the_state_back() -> None:
    store = MemoryStore()
    done = run_in_process(TableTarget(store, RecordingTable(store, fail=True)), messages(2))
    assert isinstance(done.error, ServiceError)
    assert done.states == []
