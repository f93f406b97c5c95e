"""JSON Schema property → Postgres column type, and how a column widens when a schema changes.

The mapping favours types that hold every value the schema allows, exactly:

=====================================================  ===============================
JSON Schema                                            Postgres
=====================================================  ===============================
``integer``                                            ``bigint`` (``numeric`` when
                                                       ``minimum``/``maximum`` exceed it)
``number``, ``string`` + ``format: x-singer.decimal``  ``numeric`` (no rounding)
``boolean``                                            ``boolean``
``string`` + ``format: date-time``                     ``timestamp with time zone``
``string`` + ``format: date``                          ``date``
``string`` + ``format: uuid``                          ``uuid``
``string`` (other formats, including ``time``)         ``text``
``string`` + ``contentEncoding`` base16/base64         ``bytea`` (with
                                                       ``interpret_content_encoding``)
``object``, ``array``, no type at all                  ``jsonb``
several types / ``anyOf``                              the join of each (see below)
=====================================================  ===============================

``time`` is text because Postgres's ``time`` silently drops a UTC offset. ``x-sql-datatype``
(``smallint``, ``integer``, ``bigint``) narrows an integer column, as in MeltanoLabs'
target-postgres.

Widening: ``smallint`` < ``integer`` < ``bigint`` < ``numeric``; ``date`` < ``timestamptz``;
any mix that involves a string type becomes ``text``, other mixes ``jsonb``; a ``jsonb`` and
a string become ``text``. A column is only ever altered to the join of its current type and
the new one, so a schema change never narrows a column nor rejects a value the column
already holds. Columns of types this module does not create (``varchar(50)``,
``numeric(12,2)``, ``double precision``…) were chosen by someone else and are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, Final

from elt.errors import ProtocolError

__all__ = ["ENCODINGS", "PgType", "column_type", "content_encoding", "known_type", "widen"]

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


class PgType(Enum):
    """A column type this target creates; the value is Postgres's ``format_type`` name."""

    SMALLINT = "smallint"
    INTEGER = "integer"
    BIGINT = "bigint"
    NUMERIC = "numeric"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMPTZ = "timestamp with time zone"
    UUID = "uuid"
    TEXT = "text"
    JSONB = "jsonb"
    BYTEA = "bytea"


_NUMBER_CHAIN: Final = (PgType.SMALLINT, PgType.INTEGER, PgType.BIGINT, PgType.NUMERIC)
_STRINGS: Final = frozenset(
    {PgType.TEXT, PgType.UUID, PgType.DATE, PgType.TIMESTAMPTZ, PgType.BYTEA}
)
#: ``contentEncoding`` values whose strings become ``bytea`` with interpret_content_encoding
ENCODINGS: Final = ("base16", "base64")
_STRING_FORMATS: Final = {
    "date-time": PgType.TIMESTAMPTZ,
    "date": PgType.DATE,
    "uuid": PgType.UUID,
    "x-singer.decimal": PgType.NUMERIC,
}
_SQL_DATATYPES: Final = {
    "smallint": PgType.SMALLINT,
    "integer": PgType.INTEGER,
    "bigint": PgType.BIGINT,
}
_BY_NAME: Final = {t.value: t for t in PgType}


def widen(current: PgType, new: PgType) -> PgType:
    """The narrowest type that holds every value of both ``current`` and ``new``."""
    if current is new:
        return current
    if current in _NUMBER_CHAIN and new in _NUMBER_CHAIN:
        return max(current, new, key=_NUMBER_CHAIN.index)
    if {current, new} == {PgType.DATE, PgType.TIMESTAMPTZ}:
        return PgType.TIMESTAMPTZ
    if current in _STRINGS or new in _STRINGS:
        return PgType.TEXT
    return PgType.JSONB


def known_type(name: str) -> PgType | None:
    """The :class:`PgType` for a catalog type name, or None for a type we never create."""
    return _BY_NAME.get(name)


def column_type(prop: Mapping[str, Any], *, where: str, encodings: bool = False) -> PgType:
    """The column type for one JSON Schema property; ``where`` locates it in errors.

    ``encodings`` (interpret_content_encoding) makes a string with a ``contentEncoding`` of
    :data:`ENCODINGS` ``bytea``.
    """
    if not isinstance(prop, Mapping):
        raise ProtocolError(
            "the property's schema is not a JSON object",
            where=where,
            hint='each property of a SCHEMA is a JSON Schema object, e.g. {"type": "string"}',
        )
    if encodings and content_encoding(prop):
        return PgType.BYTEA
    alternatives = prop.get("anyOf") or prop.get("oneOf")
    if alternatives:
        found = [
            column_type(alt, where=where, encodings=encodings)
            for alt in alternatives
            if not _only_null(alt)
        ]
        return _join(found) if found else PgType.TEXT
    declared = prop.get("x-sql-datatype")
    if isinstance(declared, str) and declared.lower() in _SQL_DATATYPES:
        return _SQL_DATATYPES[declared.lower()]
    raw = prop.get("type")
    names = [raw] if isinstance(raw, str) else list(raw or [])
    names = [n for n in names if n != "null"]
    if not names:
        # No type: any JSON value. Only "null": nothing to learn, text holds the nulls.
        return PgType.TEXT if raw else PgType.JSONB
    return _join([_single_type(name, prop, where) for name in names])


def content_encoding(prop: Mapping[str, Any]) -> str | None:
    """The property's ``contentEncoding`` of :data:`ENCODINGS`, if it is a string property."""
    encoding = prop.get("contentEncoding")
    if encoding not in ENCODINGS:
        return None
    raw = prop.get("type")
    names = {raw} if isinstance(raw, str) else set(raw or ())
    return str(encoding) if names - {"null"} == {"string"} else None


def _single_type(name: object, prop: Mapping[str, Any], where: str) -> PgType:
    if name == "integer":
        return PgType.NUMERIC if _exceeds_int64(prop) else PgType.BIGINT
    if name == "number":
        return PgType.NUMERIC
    if name == "boolean":
        return PgType.BOOLEAN
    if name == "string":
        fmt = prop.get("format")
        return _STRING_FORMATS.get(fmt, PgType.TEXT) if isinstance(fmt, str) else PgType.TEXT
    if name in ("object", "array"):
        return PgType.JSONB
    raise ProtocolError(
        f'unknown JSON Schema type "{name}"',
        where=where,
        hint="expected string, integer, number, boolean, object, array or null",
    )


def _join(types: list[PgType]) -> PgType:
    result = types[0]
    for other in types[1:]:
        result = widen(result, other)
    return result


def _only_null(prop: object) -> bool:
    return isinstance(prop, Mapping) and prop.get("type") in ("null", ["null"])


def _exceeds_int64(prop: Mapping[str, Any]) -> bool:
    low, high = prop.get("minimum"), prop.get("maximum")
    return (isinstance(low, int | float) and low < _INT64_MIN) or (
        isinstance(high, int | float) and high > _INT64_MAX
    )
