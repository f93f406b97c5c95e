"""Stream and property names of any shape load into the tables and columns they name."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from target_postgres.identifiers import pg_name, quote, table_for_stream

Load = Callable[..., Any]

AWKWARD = [
    "select",
    "from",
    "order",
    "User Name",
    'say "hi"',
    "it's",
    "CamelCase",
    "ünïcödé",
    "semi;colon -- comment",
    "x" * 200,
]


def test_quote_doubles_inner_quotes() -> None:
    assert quote('a"b') == '"a""b"'


def test_names_up_to_63_bytes_are_kept() -> None:
    assert pg_name("x" * 63, "column") == "x" * 63


def test_long_names_are_shortened_deterministically_within_63_bytes() -> None:
    long_name, other = "a" * 100, "a" * 99 + "b"

    short = pg_name(long_name, "column")

    assert len(short.encode()) <= 63
    assert short == pg_name(long_name, "column")
    assert short != pg_name(other, "column")
    assert short.startswith("a" * 50)


def test_long_multibyte_names_are_cut_on_a_character_boundary() -> None:
    short = pg_name("é" * 100, "column")

    assert len(short.encode()) <= 63
    short.encode("utf-8").decode("utf-8")


def test_shortening_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    name = "logged-once-" + "z" * 80
    with caplog.at_level(logging.INFO, logger="target_postgres.identifiers"):
        pg_name(name, "column")
        pg_name(name, "column")

    assert [r.getMessage() for r in caplog.records if name in r.getMessage()] == [
        f'Column name is longer than 63 bytes, stored as "{pg_name(name, "column")}": {name}'
    ]


@pytest.mark.parametrize(
    ("stream", "default", "expected"),
    [
        ("users", None, ("public", "users")),
        ("public-users", None, ("public", "users")),
        ("sales-orders", None, ("sales", "orders")),
        ("db-sales-orders", None, ("sales", "orders")),
        ("public-users", "raw", ("raw", "users")),
        ("users", "raw", ("raw", "users")),
        ("-weird", None, ("public", "-weird")),
        ("weird-", None, ("public", "weird-")),
    ],
)
def test_stream_names_map_to_schema_and_table(
    stream: str, default: str | None, expected: tuple[str, str]
) -> None:
    table = table_for_stream(stream, default)

    assert (table.schema, table.table) == expected


def test_awkward_property_names_load_into_their_columns(load: Load, db: Any, m: Any) -> None:
    properties = {name: {"type": ["string", "null"]} for name in AWKWARD}
    load(
        [
            m.schema("awkward", properties, keys=["select"]),
            m.record("awkward", {name: f"value of {name[:20]}" for name in AWKWARD}),
        ]
    )

    columns = list(db.columns("public", "awkward"))
    assert columns == [pg_name(name, "column") for name in AWKWARD]
    row = db.rows(f"SELECT {', '.join(quote(c) for c in columns)} FROM awkward")[0]
    assert list(row) == [f"value of {name[:20]}" for name in AWKWARD]


@pytest.mark.parametrize("stream", ["select", 'Quote"d Stream', "Mixed Case", "s" * 200])
def test_awkward_stream_names_load_into_their_tables(
    load: Load, db: Any, m: Any, stream: str
) -> None:
    load(
        [
            m.schema(stream, {"id": {"type": "integer"}}),
            m.record(stream, {"id": 1}),
            m.record(stream, {"id": 1}),
        ]
    )

    table = pg_name(stream, "table")
    assert db.tables() == [table]
    assert db.rows(f"SELECT id FROM {quote(table)}") == [(1,)]


def test_default_target_schema_is_created(load: Load, db: Any, m: Any) -> None:
    load(
        [
            m.schema("public-users", {"id": {"type": "integer"}}),
            m.record("public-users", {"id": 1}),
        ],
        default_target_schema="Raw Data",
    )

    assert db.tables("Raw Data") == ["users"]
