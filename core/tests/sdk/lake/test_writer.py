"""The lake writer's commit protocol, rotation and manifest, on an in-memory store."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from singer_sdk import metrics
from singer_sdk.exceptions import MissingKeyPropertiesError, RecordsWithoutSchemaException

from elt.errors import ProtocolError, ServiceError
from elt.protocol import parse_metric
from elt.sdk.progress import COMMITTED_TAG
from tests.fixtures.lake import MemoryStore, MemoryTarget, data_keys, manifests, read_records

PROPS = {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}}


def schema(stream: str = "s", properties: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": properties or PROPS},
        "key_properties": ["id"],
    }


def record(i: int, stream: str = "s", **extra: Any) -> dict[str, Any]:
    return {"type": "RECORD", "stream": stream, "record": {"id": i, "name": f"n{i}", **extra}}


def state(i: int) -> dict[str, Any]:
    return {"type": "STATE", "value": {"at": i}}


def run(store: MemoryStore, messages: list[dict[str, Any]], **config: Any) -> Any:
    from tests.fixtures.lake import run_in_process

    return run_in_process(MemoryTarget(store, **config), messages)


def test_a_state_waits_for_the_file_holding_earlier_records_and_comes_after_the_manifest() -> None:
    store = MemoryStore()
    done = run(store, [schema(), record(1), state(1), record(2), state(2)])
    assert done.error is None
    assert done.states == [{"at": 2}]
    assert [kind for kind, _ in store.events] == ["commit", "put"]
    assert read_records(store, data_keys(store)[0]) == [
        {"id": 1, "name": "n1"},
        {"id": 2, "name": "n2"},
    ]


def test_a_state_before_any_record_is_emitted_at_once() -> None:
    done = run(MemoryStore(), [state(0), schema(), record(1)])
    assert done.states == [{"at": 0}]


def test_rotation_by_rows_emits_each_state_once_its_files_are_committed() -> None:
    store = MemoryStore()
    messages = [schema()]
    for i in range(5):
        messages += [record(i), state(i)]
    target = MemoryTarget(store, max_rows=2)
    emitted_with: list[int] = []
    write_state = target._write_state

    def spy(value: Any) -> None:  # how many files were committed when each STATE went out
        emitted_with.append(sum(1 for kind, _ in store.events if kind == "commit"))
        write_state(value)

    target._write_state = spy  # type: ignore[method-assign]
    from tests.fixtures.lake import run_in_process

    done = run_in_process(target, messages)
    assert done.error is None
    files = manifests(store)[0]["files"]
    assert [f["rows"] for f in files] == [2, 2, 1]
    assert [f["part"] for f in files] == [0, 1, 2]
    assert done.states == [{"at": i} for i in range(5)]
    # state 0 waits for part 0 (records 0, 1); state 1 arrives with nothing open; ...
    assert emitted_with == [1, 1, 2, 2, 3]


def test_rotation_by_bytes_cuts_files_of_about_max_bytes() -> None:
    store = MemoryStore()
    messages = [schema()] + [record(i, name="x" * 500) for i in range(40)]
    done = run(store, messages, max_bytes=4000, buffer_size=1024, compression="none")
    assert done.error is None
    sizes = [f["bytes"] for f in manifests(store)[0]["files"]]
    assert len(sizes) > 3
    assert all(size < 4000 + 1024 + 600 for size in sizes)
    assert sum(f["rows"] for f in manifests(store)[0]["files"]) == 40


def test_uploads_receive_chunks_as_buffers_fill_not_one_whole_file() -> None:
    store = MemoryStore()
    messages = [schema()] + [record(i, name="y" * 300) for i in range(100)]
    run(store, messages, buffer_size=2048, compression="none")
    assert len(store.chunks) > 5
    assert max(store.chunks) < 2048 + 400


def test_a_changed_schema_starts_a_new_file_and_the_manifest_lists_both_schemas() -> None:
    store = MemoryStore()
    wider = {**PROPS, "extra": {"type": ["string", "null"]}}
    done = run(
        store,
        [schema(), record(1), schema(), record(2), schema(properties=wider), record(3, extra="e")],
        format="parquet",
    )
    assert done.error is None
    manifest = manifests(store)[0]
    assert [(f["rows"], f["schema"]) for f in manifest["files"]] == [(2, 0), (1, 1)]
    assert len(manifest["streams"]["s"]["schemas"]) == 2
    assert read_records(store, manifest["files"][1]["key"]) == [
        {"id": 3, "name": "n3", "extra": "e"}
    ]


def test_the_manifest_describes_every_file_of_the_run() -> None:
    store = MemoryStore()
    run(store, [schema("a"), schema("b"), record(1, "a"), record(2, "b"), record(3, "a")])
    (manifest,) = manifests(store)
    assert manifest["streams"]["a"]["rows"] == 2
    assert manifest["streams"]["b"]["key_properties"] == ["id"]
    assert {f["stream"] for f in manifest["files"]} == {"a", "b"}
    for entry in manifest["files"]:
        assert entry["url"] == f"memory://bucket/{entry['key']}"
        assert entry["bytes"] == len(store.read(entry["key"]))
        assert entry["key"].startswith(f"{entry['stream']}/dt=")
        assert manifest["run_id"] in entry["key"]
    assert store.list("_manifests/") == [f"_manifests/{manifest['run_id']}.json"]


def test_a_bad_record_aborts_open_files_and_emits_no_later_state() -> None:
    store = MemoryStore()
    messages = [
        schema(),
        record(1),
        record(2),
        state(2),
        record(3),
        {"type": "RECORD", "stream": "s", "record": {"id": "three"}},
    ]
    done = run(store, messages, format="parquet", max_rows=2)
    assert isinstance(done.error, ProtocolError)
    assert "line 6" in str(done.error)
    assert "'id'" in str(done.error)
    assert done.states == [{"at": 2}]  # part 0 (records 1, 2) committed before the failure
    (manifest,) = manifests(store)
    assert manifest["status"] == "partial"
    assert [f["rows"] for f in manifest["files"]] == [2]
    assert len(data_keys(store)) == 1
    assert store.aborted
    assert not store.open_uploads


def test_a_store_failure_mid_file_emits_nothing_the_file_would_have_covered() -> None:
    store = MemoryStore(fail_writes_to="part-")
    messages = [schema(), *[record(i, name="z" * 200) for i in range(50)], state(50)]
    done = run(store, messages, buffer_size=1024)
    assert isinstance(done.error, ServiceError)
    assert done.states == []
    assert store.objects == {}
    assert not store.open_uploads


def test_a_record_before_its_schema_is_the_sdk_error_naming_the_line() -> None:
    done = run(MemoryStore(), [schema("a"), record(1, "b")])
    assert isinstance(done.error, RecordsWithoutSchemaException)
    assert "line 2" in str(done.error)


def test_a_record_missing_its_key_property_is_the_sdk_error() -> None:
    done = run(
        MemoryStore(), [schema(), {"type": "RECORD", "stream": "s", "record": {"name": "x"}}]
    )
    assert isinstance(done.error, MissingKeyPropertiesError)


def test_a_schema_without_properties_is_refused() -> None:
    done = run(
        MemoryStore(),
        [{"type": "SCHEMA", "stream": "s", "schema": {"type": "object"}, "key_properties": []}],
    )
    assert isinstance(done.error, ProtocolError)
    assert "no properties" in str(done.error)


def test_a_malformed_line_aborts_the_open_upload() -> None:
    store = MemoryStore()
    from tests.fixtures.lake import lines, run_in_process

    target = MemoryTarget(store)
    done = run_in_process(target, lines([schema(), record(1)]) + b'{"type": "RECORD", "stre\n')
    assert isinstance(done.error, ProtocolError)
    assert store.aborted
    assert store.objects == {}


def test_opening_more_than_max_open_files_commits_the_oldest() -> None:
    store = MemoryStore()
    messages = [
        schema("a"),
        schema("b"),
        schema("c"),
        record(1, "a"),
        record(1, "b"),
        state(1),
        record(1, "c"),
    ]
    done = run(store, messages, max_open_files=2)
    assert done.error is None
    files = [f["stream"] for f in manifests(store)[0]["files"]]
    assert files == ["a", "b", "c"]
    assert done.states == [{"at": 1}]


def test_a_state_that_waited_longer_than_the_commit_interval_commits_open_files() -> None:
    store = MemoryStore()
    target = MemoryTarget(store, commit_interval_seconds=0)
    from tests.fixtures.lake import run_in_process

    done = run_in_process(target, [schema(), record(1), state(1), record(2), state(2)])
    assert done.states == [{"at": 1}, {"at": 2}]
    assert [f["rows"] for f in manifests(store)[0]["files"]] == [1, 1]


def test_date_field_spreads_a_stream_over_utc_day_partitions() -> None:
    store = MemoryStore()
    props = {**PROPS, "at": {"type": ["string", "null"], "format": "date-time"}}
    messages = [
        schema(properties=props),
        record(1, at="2026-01-01T23:30:00-02:00"),  # 2026-01-02 in UTC
        record(2, at="2026-01-01T10:00:00Z"),
        record(3, at=None),
        record(4, at="2026-01-02T00:00:00Z"),
    ]
    done = run(
        store,
        messages,
        date_field="at",
        path_template="{stream}/{year}/{month}/{day}/{run_id}-{part}.{ext}",
    )
    assert done.error is None
    by_day = {
        k.split("/", 1)[1].rsplit("/", 1)[0]: len(read_records(store, k)) for k in data_keys(store)
    }
    assert by_day == {
        "2026/01/02": 2,
        "2026/01/01": 1,
        "__HIVE_DEFAULT_PARTITION__/__HIVE_DEFAULT_PARTITION__/__HIVE_DEFAULT_PARTITION__": 1,
    }


def test_a_date_field_value_that_is_no_date_names_its_line() -> None:
    done = run(MemoryStore(), [schema(), record(1, at="soon")], date_field="at")
    assert isinstance(done.error, ProtocolError)
    assert "line 2" in str(done.error)
    assert "'at'" in str(done.error)


@pytest.mark.parametrize(
    "stream", ["../../etc", "/abs/olute", "a\\b", "nul\0byte", ".hidden", "..", "x" * 300]
)
def test_a_hostile_stream_name_stays_one_segment_under_the_prefix(stream: str) -> None:
    store = MemoryStore()
    done = run(store, [schema(stream), record(1, stream)], prefix="lake/raw")
    assert done.error is None
    (key,) = data_keys(store)
    segments = key.split("/")
    assert segments[:2] == ["lake", "raw"]
    assert not any(s in ("", ".", "..") or s.startswith(".") for s in segments)
    assert "\\" not in key
    assert "\0" not in key
    assert len(segments) == 5  # lake/raw/<stream>/dt=<date>/<file>
    assert manifests(store, "lake/raw")[0]["files"][0]["stream"] == stream


def test_the_commit_interval_does_not_rotate_files_on_every_state() -> None:
    store = MemoryStore()
    messages = [schema()]
    for i in range(200):
        messages += [record(i), state(i)]
    started = time.monotonic()
    done = run(store, messages)
    assert time.monotonic() - started < 5
    assert len(data_keys(store)) == 1
    assert done.states == [{"at": 199}]


def test_every_state_covering_new_files_is_preceded_by_a_manifest_listing_them() -> None:
    store = MemoryStore()
    target = MemoryTarget(store, max_rows=2)
    listed_when_emitted: list[tuple[str, int]] = []
    write_state = target._write_state

    def spy(value: Any) -> None:
        (manifest,) = manifests(store)
        listed_when_emitted.append((manifest["status"], len(manifest["files"])))
        write_state(value)

    target._write_state = spy  # type: ignore[method-assign]
    from tests.fixtures.lake import run_in_process

    messages = [schema()]
    for i in range(5):
        messages += [record(i), state(i)]
    done = run_in_process(target, messages)
    assert done.error is None
    assert listed_when_emitted == [
        ("partial", 1),
        ("partial", 1),
        ("partial", 2),
        ("partial", 2),
        ("complete", 3),
    ]
    assert manifests(store)[0]["status"] == "complete"


class Recorded(MemoryTarget):
    """A MemoryTarget noting each STATE it emits, in order with the committed-row METRICs."""

    def __init__(self, store: MemoryStore, events: list[tuple[str, Any]], **config: Any) -> None:
        super().__init__(store, **config)
        self.events = events

    def _write_state(self, state: Any) -> None:
        self.events.append(("STATE", state))
        super()._write_state(state)


class CommittedRows(logging.Handler):
    """Notes each committed-rows METRIC line as ("METRIC", stream, rows)."""

    def __init__(self, events: list[tuple[str, Any]]) -> None:
        super().__init__()
        self.events = events

    def emit(self, record: logging.LogRecord) -> None:
        point = parse_metric(record.getMessage())
        if point is not None and COMMITTED_TAG in record.getMessage():
            self.events.append(("METRIC", point.stream, point.value))


def run_recorded(messages: list[dict[str, Any]], **config: Any) -> tuple[Any, list[Any]]:
    from tests.fixtures.lake import run_in_process

    events: list[tuple[str, Any]] = []
    handler = CommittedRows(events)
    metrics_logger = logging.getLogger(metrics.METRICS_LOGGER_NAME)
    metrics_logger.addHandler(handler)
    level = metrics_logger.level
    metrics_logger.setLevel(logging.INFO)
    try:
        done = run_in_process(Recorded(MemoryStore(), events, **config), messages)
    finally:
        metrics_logger.removeHandler(handler)
        metrics_logger.setLevel(level)
    return done, events


def committed(events: list[tuple[str, Any]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for kind, *rest in events:
        if kind == "METRIC":
            totals[rest[0]] = totals.get(rest[0], 0) + rest[1]
    return totals


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_committed_rows_are_logged_per_file_before_the_state_that_covers_them(fmt: str) -> None:
    messages = [schema("a"), schema("b")]
    for i in range(7):
        messages += [record(i, "a"), record(i, "b"), state(i)] if i % 2 else [record(i, "a")]
    done, events = run_recorded(messages, format=fmt, max_rows=3)
    assert done.error is None
    assert committed(events) == {"a": 7, "b": 3}
    # a STATE only after the METRICs of every file holding records sent before it
    assert events == [
        ("METRIC", "a", 3), ("METRIC", "a", 3), ("METRIC", "b", 3),
        ("STATE", {"at": 3}), ("STATE", {"at": 5}),
        ("METRIC", "a", 1),  # record 6, sent after the last STATE
    ]  # fmt: skip


def test_no_rows_are_logged_for_a_file_that_was_aborted() -> None:
    messages = [schema(), record(1), record(2), state(2), record(3), {**record(4), "record": {}}]
    done, events = run_recorded(messages, max_rows=2)
    assert isinstance(done.error, MissingKeyPropertiesError)
    assert events == [("METRIC", "s", 2), ("STATE", {"at": 2})]


def activate(version: int, stream: str = "s") -> dict[str, Any]:
    return {"type": "ACTIVATE_VERSION", "stream": stream, "version": version}


def test_an_activate_version_before_its_schema_is_recorded_once_the_schema_arrives() -> None:
    store = MemoryStore()
    messages = [activate(6), activate(7), schema(), record(1), state(1)]
    done = run(store, messages)
    assert done.error is None
    assert done.states == [{"at": 1}]
    (manifest,) = manifests(store)
    assert manifest["streams"]["s"]["activate_version"] == 7
    assert manifest["streams"]["s"]["rows"] == 1


def test_an_activate_version_for_a_stream_that_never_gets_a_schema_is_ignored_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryStore()
    with caplog.at_level(logging.WARNING):
        done = run(store, [activate(7, "ghost"), schema(), record(1), state(1)])
    assert done.error is None
    assert done.states == [{"at": 1}]
    (manifest,) = manifests(store)
    assert set(manifest["streams"]) == {"s"}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "'ghost'" in warnings[0]
    assert "ACTIVATE_VERSION" in warnings[0]


def test_a_stream_named_manifests_gets_a_folder_of_its_own_readers_do_not_skip() -> None:
    store = MemoryStore()
    done = run(store, [schema("_manifests"), record(1, "_manifests"), state(1)])
    assert done.error is None
    (key,) = data_keys(store)
    assert key.startswith("%5Fmanifests/dt=")
    (manifest,) = manifests(store)
    assert [f["key"] for f in manifest["files"]] == [key]
