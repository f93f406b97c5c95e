"""Discovery: one catalog query, exact JSON Schema types, keys, filters, and its speed."""

from __future__ import annotations

import time

from tap_postgres.discovery import table_matches

TYPES_DDL = """
create type mood as enum ('sad', 'happy');
create domain price as numeric(12, 2);
create table public.every_type (
    id integer primary key, sm smallint, big bigint, n numeric(12, 2), free numeric,
    f real, d double precision, t text, v varchar(10), c char(3), u uuid, b boolean,
    dt date, tm time, ts timestamp, tz timestamptz, iv interval, j json, jb jsonb,
    ints integer[], by bytea, m mood, p price
);
"""


def _streams(catalog: dict) -> dict:
    return {s["tap_stream_id"]: s for s in catalog["streams"]}


def test_types_map_to_exact_json_schema(source, run_tap):
    source.execute(TYPES_DDL)
    catalog = run_tap(source.config(), "--discover").messages[0]
    props = _streams(catalog)["public-every_type"]["schema"]["properties"]
    assert props["id"]["type"] == ["integer"]
    assert props["sm"] == {
        "type": ["integer", "null"],
        "minimum": -32768,
        "maximum": 32767,
        "x-sql-datatype": "smallint",
    }
    assert props["big"]["x-sql-datatype"] == "bigint"
    assert props["n"] == {"type": ["number", "null"], "x-sql-datatype": "numeric(12,2)"}
    assert props["free"] == {"type": ["number", "null"]}
    assert props["f"] == props["d"] == {"type": ["number", "null"]}
    assert props["t"] == {"type": ["string", "null"]}
    assert props["v"] == {"type": ["string", "null"], "maxLength": 10}
    assert props["c"]["maxLength"] == 3
    assert props["u"] == {"type": ["string", "null"], "format": "uuid"}
    assert props["b"] == {"type": ["boolean", "null"]}
    assert props["dt"]["format"] == "date"
    assert props["tm"]["format"] == "time"
    assert props["ts"]["format"] == props["tz"]["format"] == "date-time"
    assert props["iv"] == {"type": ["string", "null"]}
    assert props["j"] == props["jb"] == {}
    assert props["ints"]["type"] == ["array", "null"]
    assert props["ints"]["items"]["type"] == ["integer", "null"]
    assert props["by"] == {"type": ["string", "null"], "contentEncoding": "base64"}
    assert props["m"] == {"type": ["string", "null"], "enum": ["sad", "happy", None]}
    assert props["p"] == {"type": ["number", "null"], "x-sql-datatype": "numeric(12,2)"}


def test_primary_keys_and_replication_key_candidates_are_in_metadata(source, run_tap):
    source.execute(
        "create table orders (region text, id bigint, updated_at timestamptz, note text,"
        " primary key (region, id)); create view recent as select * from orders"
    )
    streams = _streams(run_tap(source.config(), "--discover").messages[0])
    orders = streams["public-orders"]
    assert orders["key_properties"] == ["region", "id"]
    root = next(m["metadata"] for m in orders["metadata"] if m["breadcrumb"] == [])
    assert root["valid-replication-keys"] == ["id", "updated_at"]
    assert root["schema-name"] == "public"
    assert root["table-key-properties"] == ["region", "id"]
    assert streams["public-recent"]["key_properties"] == []


def test_filter_schemas_and_table_globs_choose_the_streams(source, run_tap):
    source.execute(
        "create schema sales; create schema scratch;"
        "create table sales.orders (id int); create table sales.tmp_x (id int);"
        "create table scratch.junk (id int); create table public.users (id int)"
    )
    only_sales = run_tap(source.config(filter_schemas=["sales"]), "--discover").messages[0]
    assert set(_streams(only_sales)) == {"sales-orders", "sales-tmp_x"}
    globbed = run_tap(source.config(tables=["sales.*", "public.*", "!sales.tmp_*"]), "--discover")
    assert set(_streams(globbed.messages[0])) == {"sales-orders", "public-users"}


def test_table_globs_exclude_without_includes():
    assert table_matches("public.users", ["!public.tmp_*"])
    assert not table_matches("public.tmp_1", ["!public.tmp_*"])
    assert not table_matches("other.users", ["public.*"])


def test_a_thousand_tables_are_discovered_in_seconds(source, run_tap):
    source.execute(
        "DO $$ BEGIN FOR i IN 1..1000 LOOP EXECUTE format("
        "'create table t%s (id bigint primary key, name text, amount numeric(10,2), "
        "updated_at timestamptz, tags text[])', i); END LOOP; END $$"
    )
    started = time.monotonic()
    run = run_tap(source.config(), "--discover")
    elapsed = time.monotonic() - started
    assert run.code == 0, run.stderr
    assert len(run.messages[0]["streams"]) == 1000
    assert elapsed < 10, f"discovery of 1000 tables took {elapsed:.1f}s"
