"""validate_records: a record that breaks its SCHEMA is refused, naming line and property."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from elt.errors import ProtocolError

Load = Callable[..., Any]

PROPERTIES = {
    "id": {"type": "integer"},
    "size": {"type": ["string", "null"], "enum": ["S", "M", "L", None]},
    "qty": {"type": ["integer", "null"], "minimum": 0},
    "tags": {"type": ["array", "null"], "items": {"type": "string"}},
}


def test_records_that_break_their_schema_load_when_validation_is_off(
    load: Load, db: Any, m: Any
) -> None:
    load([m.schema("items", PROPERTIES), m.record("items", {"id": 1, "size": "XL", "qty": -2})])

    assert db.rows("SELECT id, size, qty FROM items") == [(1, "XL", -2)]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"id": 2, "size": "XL"}, ("size", "is not one of")),
        ({"id": 2, "qty": -2}, ("qty", "less than the minimum")),
        ({"id": 2, "tags": ["a", 3]}, ("tags", r"at \[1\]")),
        ({"id": "two"}, ("id", 'is not of type "integer"')),
    ],
)
def test_validate_records_refuses_a_record_that_breaks_its_schema(
    load: Load, db: Any, m: Any, record: dict[str, Any], expected: tuple[str, str]
) -> None:
    prop, message = expected
    messages = [m.schema("items", PROPERTIES), m.record("items", {"id": 1}), m.state({"at": 1})]
    with pytest.raises(ProtocolError, match=message) as raised:
        load([*messages, m.record("items", record)], validate_records=True)

    assert raised.value.where == f"<input> line 4, stream 'items', property {prop!r}"
    assert db.tables() == []  # nothing committed: the STATE did not fill a batch


def test_validate_records_loads_valid_records(load: Load, db: Any, m: Any) -> None:
    records = [{"id": 1, "size": "S", "qty": 0, "tags": ["x"]}, {"id": 2, "size": None}]
    load(
        [m.schema("items", PROPERTIES), *[m.record("items", r) for r in records]],
        validate_records=True,
    )

    assert db.rows("SELECT id, size, qty, tags FROM items ORDER BY id") == [
        (1, "S", 0, ["x"]),
        (2, None, None, None),
    ]
