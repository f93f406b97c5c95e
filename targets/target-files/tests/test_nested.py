"""A nested column holds the JSON text of its value, whatever kind the value arrives as.

CDC taps send json columns as strings: the string ``"[]"`` and the array ``[]`` must stay
apart, and every cell must be valid JSON. In Parquet struct columns a value that is not an
object or array cannot be stored: the record is refused (exit 65) naming line, stream and
property.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from elt.errors import ProtocolError
from tests.fixtures.lake import data_keys, read_records

NESTED: dict[str, Any] = {
    "id": {"type": "integer"},
    "any": {"type": ["object", "array", "null"]},  # what CDC taps declare for json columns
    "obj": {"type": ["object", "null"]},
    "arr": {"type": ["array", "null"]},
    "doc": {
        "type": ["object", "null"],
        "properties": {"meta": {"type": ["object", "null"]}, "n": {"type": ["integer", "null"]}},
    },
}
VALUES: list[Any] = ["[]", [], "{}", {}, 5, 1.5, True, "plain text", '{"a": 1}', {"a": [1, "x"]}]


def messages(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    schema = {"type": "object", "properties": NESTED}
    return [
        {"type": "SCHEMA", "stream": "cdc", "schema": schema, "key_properties": ["id"]},
        *({"type": "RECORD", "stream": "cdc", "record": r} for r in records),
        {"type": "STATE", "value": {"done": True}},
    ]


def rows_of(loaded: Any) -> list[dict[str, Any]]:
    assert loaded.run.error is None, loaded.run.error
    return [row for key in data_keys(loaded.store) for row in read_records(loaded.store, key)]


def decoded(cell: str | None) -> Any:
    return None if cell is None else json.loads(cell)


@pytest.mark.parametrize(("fmt", "nested"), [("csv", "json"), ("parquet", "json")])
@pytest.mark.parametrize("column", ["any", "obj", "arr"])
def test_a_nested_column_holds_the_json_text_of_any_value(
    load: Callable[..., Any], fmt: str, nested: str, column: str
) -> None:
    records = [{"id": i, column: v} for i, v in enumerate([*VALUES, None])]
    rows = rows_of(load(messages(records), format=fmt, nested=nested))
    assert [decoded(row[column]) for row in rows] == [*VALUES, None]
    assert rows[0][column] == '"[]"'
    assert rows[1][column] == "[]"
    assert rows[4][column] == "5"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_json_column_inside_a_struct_or_a_csv_object_holds_json_text_too(
    load: Callable[..., Any], fmt: str
) -> None:
    records = [{"id": i, "doc": {"meta": v, "n": i}} for i, v in enumerate(VALUES)]
    rows = rows_of(load(messages(records), format=fmt, nested="struct"))
    if fmt == "csv":  # the whole object as JSON, the string inside it a JSON string
        assert [decoded(row["doc"]) for row in rows] == [r["doc"] for r in records]
    else:
        assert [decoded(row["doc"]["meta"]) for row in rows] == VALUES
        assert [row["doc"]["n"] for row in rows] == list(range(len(VALUES)))


@pytest.mark.parametrize("value", ["{}", '{"meta": {}}', 5, True, [1]])
def test_parquet_struct_refuses_a_value_that_is_no_object_naming_line_stream_and_property(
    load: Callable[..., Any], value: Any
) -> None:
    records = [{"id": 1, "doc": {"n": 1}}, {"id": 2, "doc": value}]
    loaded = load(messages(records), format="parquet", nested="struct")
    error = loaded.run.error
    assert isinstance(error, ProtocolError)
    assert error.exit_code == 65
    assert error.where == "<input> line 3, stream 'cdc', property 'doc'"
    assert "expected an object" in error.message
    assert data_keys(loaded.store) == []
    assert loaded.states == []
