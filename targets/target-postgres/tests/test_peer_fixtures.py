"""The peers' kinds of Singer input (tests/fixtures/singer) loaded into Postgres, every value
checked: ACTIVATE_VERSION before SCHEMA, encoded strings, interleaved streams, reserved and
mixed-case names, nested values sent as strings, hard texts, undeclared metadata fields."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

Load = Callable[..., Any]
Cli = Callable[..., Any]

FIXTURES = Path(__file__).parents[3] / "tests" / "fixtures" / "singer"


def fixture(name: str) -> bytes:
    """A fixture file's bytes, as a tap would pipe them."""
    return (FIXTURES / f"{name}.jsonl").read_bytes()


def records(name: str, stream: str) -> list[dict[str, Any]]:
    """The records of ``stream`` in a fixture, numbers exact."""
    lines = (FIXTURES / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    messages = [json.loads(line, parse_float=Decimal) for line in lines]
    return [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == stream]


def test_reserved_mixed_case_and_unicode_names_are_kept_exactly(load: Load, db: Any) -> None:
    loaded = load(fixture("names"))

    columns = ["select", "Order", "mixedCase", "with space", 'quote"d', "ünïcödé", "user"]
    assert list(db.columns("public", "Order Lines")) == columns
    quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    rows = db.rows(f'SELECT {quoted} FROM "Order Lines" ORDER BY "select"')
    assert rows == [tuple(r[c] for c in columns) for r in records("names", "Order Lines")]
    assert loaded.states == [{"bookmarks": {"Order Lines": {"select": 2}}}]


def test_interleaved_streams_each_keep_every_value_and_digit(load: Load, db: Any) -> None:
    loaded = load(fixture("interleaved"))

    assert db.rows("SELECT id, v FROM a ORDER BY id") == [
        (r["id"], r["v"]) for r in records("interleaved", "a")
    ]
    assert db.rows("SELECT id, n FROM b ORDER BY id") == [
        (1, Decimal("1.5")),
        (2, Decimal("12345678901234567890.123456789")),
        (3, Decimal("-0.000001")),
    ]
    assert loaded.states[-1] == {"bookmarks": {"a": {"id": 3}, "b": {"id": 3}}}


def test_nested_values_sent_as_strings_stay_json_strings(load: Load, db: Any) -> None:
    load(fixture("nested_as_strings"))

    rows = db.rows("SELECT id, payload, tags FROM events ORDER BY id")
    assert rows == [
        (r["id"], r["payload"], r["tags"]) for r in records("nested_as_strings", "events")
    ]
    assert db.rows("SELECT jsonb_typeof(tags) FROM events WHERE id = 2") == [("string",)]


def test_hard_texts_round_trip_exactly(load: Load, db: Any) -> None:
    load(fixture("texts"))

    assert db.rows("SELECT id, text FROM notes ORDER BY id") == [
        (r["id"], r["text"]) for r in records("texts", "notes")
    ]


@pytest.mark.parametrize("interpret", [False, True])
def test_encoded_strings_are_text_or_with_the_setting_bytes(
    load: Load, db: Any, interpret: bool
) -> None:
    load(fixture("encoded_strings"), interpret_content_encoding=interpret)

    rows = db.rows("SELECT id, body, digest FROM files ORDER BY id")
    if interpret:
        assert [(i, b and bytes(b), d and bytes(d)) for i, b, d in rows] == [
            (1, b"hello world", b"\xde\xad\xbe\xef"),
            (2, b"", None),
        ]
    else:
        assert rows == [
            (r["id"], r["body"], r["digest"]) for r in records("encoded_strings", "files")
        ]


def test_activate_version_first_without_a_table_loads_with_one_warning(
    load: Load, db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        loaded = load(fixture("activate_version_first"))

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "Stream 'plans': ACTIVATE_VERSION 1700000000000 arrived before the stream's SCHEMA and "
        "table public.plans does not exist, so there are no older rows to retire: ignored"
    ]
    assert db.rows(
        "SELECT id, name, _sdc_table_version, _sdc_deleted_at FROM plans ORDER BY id"
    ) == [(1, "basic", 1700000000000, None), (2, "pro", 1700000000000, None)]
    assert loaded.states == [{"bookmarks": {"plans": {"version": 1700000000000}}}]


def test_activate_version_first_over_an_older_table_retires_its_rows(
    load: Load, db: Any, m: Any
) -> None:
    plans = {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}}
    load([m.schema("plans", plans), m.record("plans", {"id": 9, "name": "old"}, version=1)])
    load(fixture("activate_version_first"))

    assert db.rows("SELECT id, _sdc_deleted_at IS NULL FROM plans ORDER BY id") == [
        (1, True),
        (2, True),
        (9, False),
    ]


def test_undeclared_metadata_fields_are_not_loaded(load: Load, db: Any) -> None:
    load(fixture("undeclared_metadata"))

    assert db.columns("public", "users") == {"id": "bigint", "name": "text"}
    assert db.rows("SELECT id, name FROM users ORDER BY id") == [(1, "Ada"), (2, "Grace")]


def test_an_unparseable_sdc_deleted_at_with_record_metadata_blames_the_record(
    cli: Cli, db: Any
) -> None:
    run = cli(fixture("undeclared_metadata"), add_record_metadata=True)

    assert run.code == 65
    assert "line 2, stream 'users', property '_sdc_deleted_at'" in run.stderr
    assert "record metadata (add_record_metadata)" in run.stderr
    assert "Traceback" not in run.stderr
    assert db.tables() == []
