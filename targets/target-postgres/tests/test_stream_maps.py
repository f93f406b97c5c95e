"""Inline stream_maps: singer-sdk's maps applied in front of the COPY loader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from elt.errors import ConfigError
from tests.fixtures.maps import CUSTOMERS, PEOPLE, md5, person

Load = Callable[..., Any]
Cli = Callable[..., Any]


def people(m: Any, *ages: int, **extra: Any) -> list[dict[str, Any]]:
    return [m.record("people", person(i, age), **extra) for i, age in enumerate(ages, start=1)]


def test_a_stream_is_renamed_filtered_and_its_email_hashed(load: Load, db: Any, m: Any) -> None:
    load([m.schema("people", PEOPLE), *people(m, 30, 17, 45)], stream_maps=CUSTOMERS)

    assert db.tables() == ["customers"]
    assert list(db.columns("public", "customers")) == ["id", "age", "email_hash"]
    assert db.rows("SELECT id, age, email_hash FROM customers ORDER BY id") == [
        (1, 30, md5("p1@x.io")),
        (3, 45, md5("p3@x.io")),
    ]


def test_the_key_properties_are_kept_so_a_second_load_upserts(load: Load, db: Any, m: Any) -> None:
    load([m.schema("people", PEOPLE), *people(m, 30, 40)], stream_maps=CUSTOMERS)
    load([m.schema("people", PEOPLE), *people(m, 31, 41)], stream_maps=CUSTOMERS)

    assert db.rows("SELECT id, age FROM customers ORDER BY id") == [(1, 31), (2, 41)]
    assert db.rows(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
        "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = 'customers'::regclass AND i.indisprimary"
    ) == [("id",)]


def test_streams_no_map_mentions_load_as_they_are(load: Load, db: Any, m: Any) -> None:
    load(
        [
            m.schema("people", PEOPLE),
            m.schema("orders", {"id": {"type": "integer"}, "total": {"type": "integer"}}),
            *people(m, 30),
            m.record("orders", {"id": 7, "total": 12}),
        ],
        stream_maps=CUSTOMERS,
    )

    assert db.tables() == ["customers", "orders"]
    assert db.rows("SELECT id, total FROM orders") == [(7, 12)]


def test_a_stream_mapped_to_null_is_not_loaded(load: Load, db: Any, m: Any) -> None:
    states = load(
        [m.schema("people", PEOPLE), *people(m, 30), m.state({"bookmarks": {"people": {}}})],
        stream_maps={"people": None},
    ).states

    assert db.tables() == []
    assert states == [{"bookmarks": {"people": {}}}]


def test_activate_version_retires_rows_of_the_aliased_table(load: Load, db: Any, m: Any) -> None:
    def full_sync(version: int, *ages: int) -> list[dict[str, Any]]:
        return [
            m.schema("people", PEOPLE),
            m.activate("people", version),
            *people(m, *ages, version=version),
            m.activate("people", version),
        ]

    load(full_sync(1, 30, 40), stream_maps=CUSTOMERS, hard_delete=True)
    load(full_sync(2, 50), stream_maps=CUSTOMERS, hard_delete=True)

    assert db.rows("SELECT id, age FROM customers") == [(1, 50)]


def test_jsonl_batch_files_go_through_the_maps(load: Load, db: Any, m: Any, tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_text(
        '{"id": 1, "name": "a", "email": "p1@x.io", "age": 30}\n'
        '{"id": 2, "name": "b", "email": "p2@x.io", "age": 9}\n'
    )
    load(
        [
            m.schema("people", PEOPLE),
            {
                "type": "BATCH",
                "stream": "people",
                "encoding": {"format": "jsonl", "compression": "none"},
                "manifest": [path.as_uri()],
            },
        ],
        stream_maps=CUSTOMERS,
    )

    assert db.rows("SELECT id, email_hash FROM customers") == [(1, md5("p1@x.io"))]


def test_csv_batch_files_of_a_mapped_stream_are_refused(load: Load, m: Any, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("id,name,email,age\n1,a,p1@x.io,30\n")
    csv_batch = {
        "type": "BATCH",
        "stream": "people",
        "encoding": {"format": "csv", "compression": "none"},
        "manifest": [path.as_uri()],
    }

    with pytest.raises(ConfigError, match="stream 'people' has a stream map"):
        load([m.schema("people", PEOPLE), csv_batch], stream_maps=CUSTOMERS)


def test_flattening_loads_nested_objects_as_columns(load: Load, db: Any, m: Any) -> None:
    address = {"type": "object", "properties": {"city": {"type": "string"}}}
    load(
        [
            m.schema("s", {"id": {"type": "integer"}, "address": address}),
            m.record("s", {"id": 1, "address": {"city": "Oslo"}}),
        ],
        flattening_enabled=True,
        flattening_max_depth=1,
    )

    assert db.rows('SELECT id, "address__city" FROM s') == [(1, "Oslo")]


def test_a_bad_expression_exits_78_naming_the_stream_and_expression(cli: Cli, m: Any) -> None:
    done = cli(
        [m.schema("people", PEOPLE), *people(m, 30), m.state({"b": 1})],
        stream_maps={"people": {"h": "md5(emial)"}},
    )

    assert done.code == 78
    assert done.states == []
    assert "stream_maps, stream 'people'" in done.stderr
    assert "md5(emial)" in done.stderr
    assert "'emial' is not defined" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unexpected_map_option_exits_78_at_startup(cli: Cli) -> None:
    done = cli([], stream_maps={"__bogus__": {}})

    assert done.code == 78
    assert "stream_maps: Option '__bogus__" in done.stderr
    assert "Traceback" not in done.stderr
