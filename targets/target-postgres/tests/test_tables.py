"""Tables follow their stream's SCHEMA: created, given new columns, widened, never narrowed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

Load = Callable[..., Any]


def test_table_gets_the_types_of_its_schema(load: Load, db: Any, m: Any) -> None:
    load([m.schema("t", {
        "id": {"type": "integer"},
        "n": {"type": ["number", "null"]},
        "b": {"type": "boolean"},
        "ts": {"type": "string", "format": "date-time"},
        "d": {"type": "string", "format": "date"},
        "u": {"type": "string", "format": "uuid"},
        "dec": {"type": "string", "format": "x-singer.decimal"},
        "time": {"type": "string", "format": "time"},
        "o": {"type": "object", "properties": {"x": {"type": "integer"}}},
        "a": {"type": "array", "items": {"type": "string"}},
        "any": {},
        "small": {"type": "integer", "x-sql-datatype": "smallint"},
        "huge": {"type": "integer", "maximum": 10**19},
        "mixed": {"type": ["string", "integer"]},
    })])  # fmt: skip

    assert db.columns("public", "t") == {
        "id": "bigint",
        "n": "numeric",
        "b": "boolean",
        "ts": "timestamp with time zone",
        "d": "date",
        "u": "uuid",
        "dec": "numeric",
        "time": "text",
        "o": "jsonb",
        "a": "jsonb",
        "any": "jsonb",
        "small": "smallint",
        "huge": "numeric",
        "mixed": "text",
    }


def test_date_times_without_offset_are_utc(load: Load, db: Any, m: Any) -> None:
    load(
        [
            m.schema(
                "t",
                {
                    "id": {"type": "integer"},
                    "ts": {"type": "string", "format": "date-time"},
                    "d": {"type": "string", "format": "date"},
                },
            ),
            m.record("t", {"id": 1, "ts": "2026-03-04T05:06:07", "d": "2026-03-04"}),
            m.record("t", {"id": 2, "ts": "2026-03-04T05:06:07.5+02:00", "d": None}),
        ]
    )

    assert db.rows("SELECT id, ts, d FROM t ORDER BY id") == [
        (1, datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC), date(2026, 3, 4)),
        (2, datetime(2026, 3, 4, 3, 6, 7, 500000, tzinfo=UTC), None),
    ]


def test_new_property_adds_a_column_and_keeps_rows(load: Load, db: Any, m: Any) -> None:
    load([m.schema("t", {"id": {"type": "integer"}}), m.record("t", {"id": 1})])
    load(
        [
            m.schema("t", {"id": {"type": "integer"}, "extra": {"type": "string"}}),
            m.record("t", {"id": 2, "extra": "x"}),
        ]
    )

    assert db.rows("SELECT id, extra FROM t ORDER BY id") == [(1, None), (2, "x")]


def test_integer_widens_to_numeric_then_text(load: Load, db: Any, m: Any) -> None:
    load(
        [
            m.schema("t", {"id": {"type": "integer"}, "v": {"type": "integer"}}),
            m.record("t", {"id": 1, "v": 5}),
        ]
    )
    load(
        [
            m.schema("t", {"id": {"type": "integer"}, "v": {"type": "number"}}),
            m.record("t", {"id": 2, "v": 2.5}),
        ]
    )
    assert db.columns("public", "t")["v"] == "numeric"

    load(
        [
            m.schema("t", {"id": {"type": "integer"}, "v": {"type": "string"}}),
            m.record("t", {"id": 3, "v": "x"}),
        ]
    )

    assert db.columns("public", "t")["v"] == "text"
    assert db.rows("SELECT id, v FROM t ORDER BY id") == [(1, "5"), (2, "2.5"), (3, "x")]


def test_narrower_schema_keeps_the_wider_column(load: Load, db: Any, m: Any) -> None:
    load(
        [
            m.schema("t", {"id": {"type": "integer"}, "v": {"type": "string"}}),
            m.record("t", {"id": 1, "v": "x"}),
        ]
    )
    load(
        [
            m.schema("t", {"id": {"type": "integer"}, "v": {"type": "integer"}}),
            m.record("t", {"id": 2, "v": 7}),
        ]
    )

    assert db.columns("public", "t")["v"] == "text"
    assert db.rows("SELECT id, v FROM t ORDER BY id") == [(1, "x"), (2, "7")]


def test_dropped_property_keeps_its_column_with_nulls(load: Load, db: Any, m: Any) -> None:
    load(
        [
            m.schema("t", {"id": {"type": "integer"}, "gone": {"type": "string"}}),
            m.record("t", {"id": 1, "gone": "x"}),
        ]
    )
    load(
        [
            m.schema("t", {"id": {"type": "integer"}}),
            m.record("t", {"id": 2}),
            m.record("t", {"id": 1}),
        ]
    )

    assert db.rows("SELECT id, gone FROM t ORDER BY id") == [(1, "x"), (2, None)]


def test_schema_change_mid_batch_loads_earlier_rows_with_the_old_columns(
    load: Load, db: Any, m: Any
) -> None:
    load([
        m.schema("t", {"id": {"type": "integer"}, "v": {"type": "integer"}}),
        m.record("t", {"id": 1, "v": 1}),
        m.schema("t", {"id": {"type": "integer"}, "v": {"type": "number"}, "w": {"type": "boolean"}}),
        m.record("t", {"id": 2, "v": 1.5, "w": True}),
        m.record("t", {"id": 1, "v": 0.5, "w": False}),
    ])  # fmt: skip

    assert db.rows("SELECT id, v, w FROM t ORDER BY id") == [
        (1, Decimal("0.5"), False),
        (2, Decimal("1.5"), True),
    ]


def test_user_chosen_column_types_are_left_alone(load: Load, db: Any, m: Any) -> None:
    db.execute("CREATE TABLE t (id bigint PRIMARY KEY, v varchar(10), n numeric(6,2))")
    load(
        [
            m.schema(
                "t", {"id": {"type": "integer"}, "v": {"type": "integer"}, "n": {"type": "number"}}
            ),
            m.record("t", {"id": 1, "v": 12, "n": 3.25}),
        ]
    )

    assert db.columns("public", "t") == {
        "id": "bigint",
        "v": "character varying(10)",
        "n": "numeric(6,2)",
    }
    assert db.rows("SELECT v, n FROM t") == [("12", Decimal("3.25"))]


def test_schema_without_properties_makes_a_table_without_columns(
    load: Load, db: Any, m: Any
) -> None:
    load([m.schema("empty", {}, keys=[]), m.record("empty", {}), m.record("empty", {"x": 1})])

    assert db.columns("public", "empty") == {}
    assert db.rows("SELECT count(*) FROM empty") == [(2,)]


# A value of each JSON Schema type, and how it reads back from a column of each type.
SAMPLES: dict[str, tuple[dict[str, Any], Any]] = {
    "integer": ({"type": "integer"}, 5),
    "number": ({"type": "number"}, 1.5),
    "boolean": ({"type": "boolean"}, True),
    "string": ({"type": "string"}, "abc"),
    "date-time": ({"type": "string", "format": "date-time"}, "2026-01-02T03:04:05Z"),
    "object": ({"type": "object"}, {"a": 1}),
    "array": ({"type": "array"}, [1, "x"]),
    "any": ({}, "abc"),  # no type: jsonb, here holding a JSON string
}
AS_TEXT = {
    "integer": "5",
    "number": "1.5",
    "boolean": "true",
    "string": "abc",
    "date-time": "2026-01-02 03:04:05+00",
    "object": '{"a": 1}',
    "array": '[1, "x"]',
    "any": "abc",
}
AS_NATIVE = {"date-time": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)}
PAIRS = [(a, b) for a in SAMPLES for b in SAMPLES if a != b]


@pytest.mark.parametrize(("old", "new"), PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_a_column_widens_to_hold_both_types_and_keeps_its_values(
    load: Load, db: Any, m: Any, old: str, new: str
) -> None:
    (old_schema, old_value), (new_schema, new_value) = SAMPLES[old], SAMPLES[new]
    load([
        m.schema("t", {"id": {"type": "integer"}, "v": old_schema}),
        m.record("t", {"id": 1, "v": old_value}),
        m.schema("t", {"id": {"type": "integer"}, "v": new_schema}),
        m.record("t", {"id": 2, "v": new_value}),
    ])  # fmt: skip

    column = db.columns("public", "t")["v"]
    (kept,), (loaded,) = db.rows("SELECT v FROM t ORDER BY id")
    if column == "jsonb":
        assert kept == old_value  # the value, as JSON
        assert loaded == new_value
    elif column == "text":
        assert kept == AS_TEXT[old]  # its text, as a text column holds a new value of it
        assert loaded is not None
    else:
        assert kept == AS_NATIVE.get(old, old_value)
        assert loaded == AS_NATIVE.get(new, new_value)


def test_two_sessions_creating_one_schema_and_table_at_once_both_succeed(
    pg_database: str,
) -> None:
    """The second CREATE … IF NOT EXISTS waits on the first's uncommitted catalog row, then
    fails on its unique index: that is losing a race, and the winner's objects are taken."""
    import threading

    import psycopg
    from target_postgres.identifiers import TableName
    from target_postgres.tables import create_table, ensure_schema
    from target_postgres.types import PgType

    table = TableName("raced", "orders")
    columns = [("id", PgType.BIGINT)]
    with psycopg.connect(pg_database) as first, psycopg.connect(pg_database) as second:
        ensure_schema(first.cursor(), "raced")  # uncommitted: the second session waits on it
        create_table(first.cursor(), table, columns, ["id"])
        outcome: list[object] = []

        def other() -> None:
            try:
                with second.cursor() as cur:
                    ensure_schema(cur, "raced")
                    outcome.append(create_table(cur, table, columns, ["id"]).primary_key)
                second.commit()
            except Exception as error:  # the test reads it below
                outcome.append(error)

        racing = threading.Thread(target=other)
        racing.start()
        racing.join(1.0)
        assert racing.is_alive()  # blocked behind the first session's CREATE SCHEMA
        first.commit()
        racing.join(30)
        assert outcome == [("id",)]
