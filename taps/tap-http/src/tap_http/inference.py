"""A JSON Schema inferred from sample records, for streams configured without ``schema``.

Every property is nullable (a sample cannot prove a field is always present), integers
widen to numbers, and a property seen with incompatible types accepts any of them rather
than rejecting a later record. Strings that are all ISO 8601 timestamps get
``format: date-time`` so that a replication key on them compares as a time.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from datetime import datetime
from typing import Any

__all__ = ["infer_schema"]


def _is_timestamp(value: str) -> bool:
    if len(value) < 10 or value[4:5] != "-":
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float | decimal.Decimal):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string"


def _schema_of(values: list[Any]) -> dict[str, Any]:
    types = {_type_of(value) for value in values} - {"null"}
    if "integer" in types and "number" in types:
        types.discard("integer")
    if len(types) != 1:
        return {} if types else {"type": ["string", "null"]}
    (kind,) = types
    present = [value for value in values if value is not None]
    if kind == "object":
        return {**infer_schema(present), "type": ["object", "null"]}
    if kind == "array":
        items = [item for value in present for item in value]
        return {"type": ["array", "null"], "items": _schema_of(items) if items else {}}
    schema: dict[str, Any] = {"type": [kind, "null"]}
    if kind == "string" and all(_is_timestamp(value) for value in present):
        schema["format"] = "date-time"
    return schema


def infer_schema(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """An object schema covering every property of ``records``, in first-seen order."""
    columns: dict[str, list[Any]] = {}
    for record in records:
        for name, value in record.items():
            columns.setdefault(name, []).append(value)
    return {
        "type": "object",
        "properties": {name: _schema_of(values) for name, values in columns.items()},
    }
