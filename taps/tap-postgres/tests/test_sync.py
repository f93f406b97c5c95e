"""Syncing: exact values, FULL_TABLE with ACTIVATE_VERSION, INCREMENTAL, chunks, STATE, maps."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.fixtures.taps import csv_batch_config

ORDERS = """
create table orders (id bigint primary key, amount numeric(30, 9), updated_at timestamptz, note text);
insert into orders
select i, i * 1.000000001 + 12345678901234567890, '2026-01-01'::timestamptz + i * interval '1 hour', 'n' || i
from generate_series(1, 250) i;
"""


def _catalog_for(run_tap, source, stream: str, key: str | None = None) -> dict:
    """The discovered catalog of ``stream`` alone, INCREMENTAL on ``key`` if given."""
    catalog = run_tap(source.config(), "--discover").messages[0]
    catalog["streams"] = [s for s in catalog["streams"] if s["tap_stream_id"] == stream]
    metadata = {}
    if key:
        metadata = {"forced-replication-method": "INCREMENTAL", "replication-key": key}
        catalog["streams"][0].update(replication_method="INCREMENTAL", replication_key=key)
    for entry in catalog["streams"][0]["metadata"]:
        if entry["breadcrumb"] == []:
            entry["metadata"].update({"selected": True, **metadata})
    return catalog


def test_every_value_arrives_exactly(source, sync):
    source.execute(
        "create table t (id int primary key, big numeric, tz timestamptz, ts timestamp, f real,"
        " d double precision, by bytea, j json, iv interval, tm timetz, arr numeric[]);"
        "insert into t values (1, 123456789012345678901234567890.000000000000000000001,"
        " '2026-03-01 10:00:00.123456+02', '2026-03-01 10:00:00', 0.1, 1e300, '\\x00ff10',"
        " '{\"a\":\n 1}', '1 year 2 months 3 days 04:05:06.5', '10:00:00+02', '{1.10,NULL}'),"
        " (2, 'NaN', null, null, 'Infinity', '-Infinity', '', '[]', '-1 day', null, '{}')"
    )
    first, second = sync(source.config()).records("public-t")
    assert first["big"] == Decimal("123456789012345678901234567890.000000000000000000001")
    assert first["tz"] == "2026-03-01T08:00:00.123456+00:00"
    assert first["ts"] == "2026-03-01T10:00:00"
    assert float(first["f"]) == 0.1
    assert float(first["d"]) == 1e300
    assert first["by"] == "AP8Q"
    assert first["j"] == {"a": 1}
    assert first["iv"] == "P1Y2M3DT4H5M6.5S"
    assert first["tm"] == "10:00:00+02:00"
    assert first["arr"] == [Decimal("1.10"), None]
    assert second == {
        "id": 2,
        "big": None,
        "tz": None,
        "ts": None,
        "f": None,
        "d": None,
        "by": "",
        "j": [],
        "iv": "P-1D",
        "tm": None,
        "arr": [],
    }


def test_full_table_ends_with_activate_version_of_its_records(source, sync):
    source.execute(ORDERS)
    run = sync(source.config())
    types = run.types()
    assert types.count("RECORD") == 250
    version = next(m["version"] for m in run.messages if m["type"] == "ACTIVATE_VERSION")
    assert types.index("ACTIVATE_VERSION") > max(i for i, t in enumerate(types) if t == "RECORD")
    assert {m["version"] for m in run.messages if m["type"] == "RECORD"} == {version}
    assert [r["id"] for r in run.records()] == list(range(1, 251))
    assert run.state == {"bookmarks": {"public-orders": {}}}


def test_small_chunks_and_state_interval_send_every_row_once_with_progress(source, sync):
    source.execute(ORDERS)
    run = sync(source.config(chunk_rows=40, state_interval_rows=100))
    assert [r["id"] for r in run.records()] == list(range(1, 251))
    progress = [
        m["value"]["bookmarks"]["public-orders"]["snapshot"]["after"]
        for m in run.messages
        if m["type"] == "STATE" and "snapshot" in m["value"]["bookmarks"]["public-orders"]
    ]
    assert progress
    assert all(after[0] % 5 == 0 for after in progress)


def test_incremental_second_run_moves_only_changed_rows(source, sync, run_tap):
    source.execute(ORDERS)
    catalog = _catalog_for(run_tap, source, "public-orders", "updated_at")
    first = sync(source.config(), catalog=catalog)
    assert len(first.records()) == 250
    bookmark = first.state["bookmarks"]["public-orders"]
    assert bookmark == {
        "replication_key": "updated_at",
        "replication_key_value": "2026-01-11T10:00:00+00:00",
    }
    assert "ACTIVATE_VERSION" not in first.types()
    source.execute(
        "update orders set updated_at = '2026-02-01', note = 'changed' where id in (3, 7)"
    )
    second = sync(source.config(), state=first.state, catalog=catalog)
    assert [(r["id"], r["note"]) for r in second.records()] == [
        (250, "n250"),
        (3, "changed"),
        (7, "changed"),
    ]


def test_integer_replication_key_is_bookmarked_as_an_integer(source, sync, run_tap):
    source.execute(ORDERS)
    catalog = _catalog_for(run_tap, source, "public-orders", "id")
    run = sync(
        source.config(chunk_rows=100),
        state={
            "bookmarks": {"public-orders": {"replication_key": "id", "replication_key_value": 200}}
        },
        catalog=catalog,
    )
    assert [r["id"] for r in run.records()] == list(range(200, 251))
    assert run.state["bookmarks"]["public-orders"]["replication_key_value"] == 250


def test_stream_maps_go_through_singer_sdk(source, sync):
    source.execute(ORDERS)
    config = source.config(stream_maps={"public-orders": {"note": None, "double": "id * 2"}})
    records = sync(config).records("public-orders")
    assert records[0] == {
        "id": 1,
        "amount": Decimal("12345678901234567891.000000001"),
        "updated_at": "2026-01-01T01:00:00+00:00",
        "double": 2,
    }


def test_deselected_columns_are_not_read(source, sync, run_tap):
    source.execute(ORDERS)
    catalog = _catalog_for(run_tap, source, "public-orders")
    for entry in catalog["streams"][0]["metadata"]:
        if entry["breadcrumb"] == ["properties", "note"]:
            entry["metadata"]["selected"] = False
    records = sync(source.config(), catalog=catalog).records()
    assert set(records[0]) == {"id", "amount", "updated_at"}


def test_table_without_primary_key_is_read_in_one_pass(source, sync):
    source.execute(
        "create table logs (line text); insert into logs select 'l' || i from generate_series(1, 30) i"
    )
    run = sync(source.config(chunk_rows=7))
    assert sorted(r["line"] for r in run.records()) == sorted(f"l{i}" for i in range(1, 31))


@pytest.mark.parametrize("batch", [False, True], ids=["records", "csv-batches"])
def test_rows_sent_are_logged_as_record_count_on_either_path(source, run_tap, tmp_path, batch):
    source.execute(ORDERS)
    config = source.config(**(csv_batch_config(str(tmp_path), batch_size=100) if batch else {}))

    run = run_tap(config)

    assert run.code == 0
    assert ("BATCH" in run.types()) is batch
    assert run.counted("public-orders") == 250
