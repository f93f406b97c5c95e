"""Postgres column types → JSON Schema, and the SQL that turns a value into its JSON form.

Values are made JSON-ready by the server, not by Python: a row leaves Postgres as the text
of ``row_to_json`` over the expressions below, so numbers keep every digit (``numeric``
text is the JSON number), ``timestamptz`` is ISO 8601 with its offset (the session is UTC),
``interval`` is ISO 8601 (``IntervalStyle iso_8601``) and arrays are JSON arrays.

========================================  ==========================================
Postgres                                  JSON Schema
========================================  ==========================================
smallint, integer, bigint                 integer (+ minimum/maximum, x-sql-datatype)
numeric(p,s)                              number (x-sql-datatype numeric(p,s): exact)
real, double precision                    number
text, varchar(n), char(n), name           string (maxLength n)
uuid                                      string, format uuid
boolean                                   boolean
date / time, timetz                       string, format date / time
timestamp, timestamptz                    string, format date-time
interval                                  string (ISO 8601 duration)
json, jsonb                               any JSON value (no type)
bytea                                     string, contentEncoding base64
enum                                      string with enum
domain                                    its base type
T[]                                       array of T's schema
anything else (inet, money, tsvector…)    string (the type's text output)
========================================  ==========================================

NaN and ±Infinity in float and numeric columns become null, as JSON cannot carry them.
``json`` values are normalised through ``jsonb`` (no line breaks inside a RECORD line).

Three MeltanoLabs settings change the mapping (:class:`Representation`):

- ``dates_as_string``: date, timestamp and timestamptz are plain strings (no ``format``)
  holding Postgres's own text (``2026-01-11 10:00:00+00``, ``infinity``,
  ``0044-03-15 BC``), for values a date-time cannot hold;
- ``json_as_object``: json and jsonb are ``object`` (the value is sent as it is);
- ``use_singer_decimal``: numeric, real and double precision are strings with format
  ``x-singer.decimal`` holding the number's exact text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from psycopg import sql

__all__ = ["Column", "Representation", "csv_expression", "json_expression"]

_INTEGERS: Final = {
    "int2": ("smallint", -(2**15), 2**15 - 1),
    "int4": ("integer", -(2**31), 2**31 - 1),
    "int8": ("bigint", -(2**63), 2**63 - 1),
}
_FLOATS: Final = frozenset({"float4", "float8"})
_STRING_FORMATS: Final = {
    "uuid": "uuid",
    "date": "date",
    "time": "time",
    "timetz": "time",
    "timestamp": "date-time",
    "timestamptz": "date-time",
}
_LENGTH_TYPES: Final = frozenset({"varchar", "bpchar"})
_REPLICATION_KEY_TYPES: Final = frozenset(
    {"int2", "int4", "int8", "numeric", "date", "timestamp", "timestamptz"}
)
_NON_FINITE: Final = sql.SQL("('NaN', 'Infinity', '-Infinity')")
_DATES: Final = frozenset({"date", "timestamp", "timestamptz"})
_DECIMALS: Final = frozenset({"numeric", *_FLOATS})


@dataclass(frozen=True, slots=True)
class Representation:
    """How values are typed and written: MeltanoLabs' ``dates_as_string``,
    ``json_as_object`` and ``use_singer_decimal`` (all off by default)."""

    dates_as_string: bool = False
    json_as_object: bool = False
    singer_decimal: bool = False

    @classmethod
    def from_config(cls, config: Any) -> Representation:
        return cls(
            dates_as_string=bool(config.get("dates_as_string")),
            json_as_object=bool(config.get("json_as_object")),
            singer_decimal=bool(config.get("use_singer_decimal")),
        )

    def as_text(self, base: str) -> bool:
        """Whether values of this base type are sent as Postgres's text for them."""
        return (self.dates_as_string and base in _DATES) or (
            self.singer_decimal and base in _DECIMALS
        )


@dataclass(frozen=True, slots=True)
class Column:
    """One column as discovery found it: its base type (domains resolved) and modifiers."""

    name: str
    declared: str  # format_type() of the column: what a bookmark is cast to
    base: str  # pg_type.typname of the base (element) type
    modifier: int  # typmod of the base type, -1 when none
    nullable: bool
    is_array: bool = False
    enum: tuple[str, ...] = ()

    @property
    def replication_key_candidate(self) -> bool:
        """Whether the column orders rows well enough to bookmark on."""
        return not self.is_array and self.base in _REPLICATION_KEY_TYPES

    @property
    def integer(self) -> bool:
        return not self.is_array and self.base in _INTEGERS

    def schema(self, rep: Representation = Representation()) -> dict[str, Any]:
        """The column's JSON Schema property."""
        if self.is_array:
            prop: dict[str, Any] = {
                "type": ["array"],
                "items": self._scalar_schema(rep, nullable=True),
            }
            if self.nullable:
                prop["type"].append("null")
            return prop
        return self._scalar_schema(rep, nullable=self.nullable)

    def _scalar_schema(self, rep: Representation, *, nullable: bool) -> dict[str, Any]:
        base, mod = self.base, self.modifier
        prop: dict[str, Any]
        if self.enum:
            prop = {"type": ["string"], "enum": [*self.enum, *([None] if nullable else [])]}
        elif base in ("json", "jsonb"):
            if not rep.json_as_object:
                return {}
            prop = {"type": ["object"], "additionalProperties": True}
        elif base in _DATES and rep.dates_as_string:
            prop = {"type": ["string"]}
        elif base in _DECIMALS and rep.singer_decimal:
            prop = {"type": ["string"], "format": "x-singer.decimal"}
            if base == "numeric" and mod >= 4:
                prop["x-sql-datatype"] = _numeric_type(mod)
        elif base in _INTEGERS:
            name, low, high = _INTEGERS[base]
            prop = {"type": ["integer"], "minimum": low, "maximum": high, "x-sql-datatype": name}
        elif base == "numeric":
            prop = {"type": ["number"]}
            if mod >= 4:
                prop["x-sql-datatype"] = _numeric_type(mod)
        elif base in _FLOATS:
            prop = {"type": ["number"]}
        elif base == "bool":
            prop = {"type": ["boolean"]}
        elif base == "bytea":
            prop = {"type": ["string"], "contentEncoding": "base64"}
        else:
            prop = {"type": ["string"]}
            if base in _STRING_FORMATS:
                prop["format"] = _STRING_FORMATS[base]
            elif base in _LENGTH_TYPES and mod >= 4:
                prop["maxLength"] = mod - 4
        if nullable:
            prop["type"].append("null")
        return prop


def _numeric_type(modifier: int) -> str:
    precision, scale = ((modifier - 4) >> 16) & 0xFFFF, (modifier - 4) & 0xFFFF
    return f"numeric({precision},{scale})"


def json_expression(
    column: Column, relation: sql.Identifier, rep: Representation = Representation()
) -> sql.Composable:
    """The expression whose ``to_json`` is the column's JSON value, for a row of
    ``relation`` (the table's qualified name, so a custom WHERE clause may name it)."""
    ref = sql.SQL("{}.{}").format(relation, sql.Identifier(column.name))
    if rep.as_text(column.base):
        if column.base in _FLOATS or column.base == "numeric":
            non_finite = sql.SQL("{}::text IN {}").format(ref, _NON_FINITE)
            if column.is_array:
                return sql.SQL("{}::text[]").format(ref)
            return sql.SQL("CASE WHEN {} THEN NULL ELSE {}::text END").format(non_finite, ref)
        return sql.SQL("{}::text[]" if column.is_array else "{}::text").format(ref)
    if column.is_array:
        return ref
    if column.base == "bytea":
        return sql.SQL("translate(encode({}, 'base64'), E'\\n', '')").format(ref)
    if column.base == "json":
        return sql.SQL("{}::jsonb").format(ref)
    if column.base == "timetz":  # '+02' → '+02:00', as RFC 3339 full-time has it
        return sql.SQL("regexp_replace({}::text, '([+-]\\d\\d)$', '\\1:00')").format(ref)
    if column.base in _FLOATS:
        return sql.SQL("CASE WHEN {} IN {} THEN NULL ELSE {} END").format(ref, _NON_FINITE, ref)
    if column.base == "numeric":
        return sql.SQL("CASE WHEN {}::text IN {} THEN NULL ELSE {} END").format(
            ref, _NON_FINITE, ref
        )
    return ref


def csv_expression(
    column: Column, relation: sql.Identifier, rep: Representation = Representation()
) -> sql.Composable:
    """The expression whose text output is the column's field in a csv BATCH file.

    The csv encoding (tap-csv's ``csvfields``) wants JSON text for arrays and objects,
    ``true``/``false`` for booleans and base64 for bytes; other types' text output with
    DateStyle ISO is what Postgres's COPY parses back.
    """
    ref = sql.SQL("{}.{}").format(relation, sql.Identifier(column.name))
    if column.is_array:
        return sql.SQL("to_json({})::text").format(json_expression(column, relation, rep))
    if column.base == "bool":
        return sql.SQL("{}::text").format(ref)
    if column.base == "json":
        return sql.SQL("{}::jsonb").format(ref)
    return json_expression(column, relation, rep)
