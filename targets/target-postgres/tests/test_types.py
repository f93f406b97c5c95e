"""JSON Schema → Postgres types, and the widening rule for schema changes."""

from __future__ import annotations

import pytest
from target_postgres.types import PgType, column_type, known_type, widen

from elt.errors import ProtocolError


@pytest.mark.parametrize(
    ("prop", "expected"),
    [
        ({"type": "integer"}, PgType.BIGINT),
        ({"type": ["integer", "null"]}, PgType.BIGINT),
        ({"type": "integer", "minimum": -(2**70)}, PgType.NUMERIC),
        ({"type": "integer", "x-sql-datatype": "INTEGER"}, PgType.INTEGER),
        ({"type": "number"}, PgType.NUMERIC),
        ({"type": ["integer", "number"]}, PgType.NUMERIC),
        ({"type": "boolean"}, PgType.BOOLEAN),
        ({"type": "string"}, PgType.TEXT),
        ({"type": "string", "format": "date-time"}, PgType.TIMESTAMPTZ),
        ({"type": "string", "format": "date"}, PgType.DATE),
        ({"type": "string", "format": "time"}, PgType.TEXT),
        ({"type": "string", "format": "uuid"}, PgType.UUID),
        ({"type": "string", "format": "email"}, PgType.TEXT),
        ({"type": "object"}, PgType.JSONB),
        ({"type": "array", "items": {"type": "integer"}}, PgType.JSONB),
        ({}, PgType.JSONB),
        ({"type": "null"}, PgType.TEXT),
        ({"type": ["boolean", "integer"]}, PgType.JSONB),
        ({"type": ["string", "object"]}, PgType.TEXT),
        (
            {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
            PgType.TIMESTAMPTZ,
        ),
        (
            {"anyOf": [{"type": "string", "format": "date-time"}, {"type": ["string", "null"]}]},
            PgType.TEXT,
        ),
        (
            {
                "anyOf": [
                    {"type": "string", "format": "date"},
                    {"type": "string", "format": "date-time"},
                ]
            },
            PgType.TIMESTAMPTZ,
        ),
    ],
)
def test_column_type_holds_every_value_the_schema_allows(prop: dict, expected: PgType) -> None:
    assert column_type(prop, where="p") is expected


def test_unknown_json_type_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match='unknown JSON Schema type "decimal"'):
        column_type({"type": "decimal"}, where="stream 's' property 'p'")


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        (PgType.INTEGER, PgType.BIGINT, PgType.BIGINT),
        (PgType.BIGINT, PgType.INTEGER, PgType.BIGINT),
        (PgType.BIGINT, PgType.NUMERIC, PgType.NUMERIC),
        (PgType.DATE, PgType.TIMESTAMPTZ, PgType.TIMESTAMPTZ),
        (PgType.BOOLEAN, PgType.TEXT, PgType.TEXT),
        (PgType.JSONB, PgType.TEXT, PgType.TEXT),
        (PgType.BIGINT, PgType.UUID, PgType.TEXT),
        (PgType.BOOLEAN, PgType.BIGINT, PgType.JSONB),
        (PgType.JSONB, PgType.BIGINT, PgType.JSONB),
        (PgType.TEXT, PgType.JSONB, PgType.TEXT),
    ],
)
def test_widen_never_narrows(current: PgType, new: PgType, expected: PgType) -> None:
    assert widen(current, new) is expected


def test_known_type_only_knows_types_this_target_creates() -> None:
    assert known_type("timestamp with time zone") is PgType.TIMESTAMPTZ
    assert known_type("character varying(10)") is None
