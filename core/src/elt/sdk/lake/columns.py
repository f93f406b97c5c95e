"""Typed columns from a Singer SCHEMA: records in, an Arrow table out, bad values named.

Parquet and CSV files are columnar in how they are written: the writer holds a buffer of
records and converts it here column by column, with pyarrow doing the per-value work in C.
The Singer SCHEMA decides each column's type (see :func:`plan`); a value that does not fit
is found on a slow path only after the fast conversion failed, and reported with the input
line of its record and the property's name. pyarrow silently truncates a float put into an
integer column and drops undeclared keys of a struct, so those two cases are checked
before conversion: neither may lose data without a word.

A **nested column** — a property that declares ``object`` or ``array`` among its types and
is not laid out as a struct/list — holds the **JSON text of its value**, whatever kind the
value arrives as: the array ``[]`` as ``[]``, the string ``"[]"`` (CDC taps send json
columns as strings) as ``"[]"`` with its quotes, the number 5 as ``5``; so every cell is
valid JSON and no two values share a cell. The encoder converts values to that text as
records arrive (:func:`json_text`, :func:`json_leaves`), so the columns here are given text.
A column of several other types (``["string", "integer"]``) or of none holds strings as
they are and any other value as JSON.

pyarrow is imported here (and by the format modules of :mod:`elt.sdk.lake.formats`) only,
on first use, so the rest of ``elt`` never pays for it (see tests/test_layers.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final

from elt.protocol import dumps

__all__ = [
    "BadValue",
    "Column",
    "has_tiny_number",
    "holds_numbers",
    "holds_text",
    "json_leaves",
    "json_text",
    "number_leaves",
    "plan",
    "to_arrays",
]

# Column kinds. "text" is CSV's only kind: strings as they are, anything else as JSON.
INTEGER: Final = "integer"
DOUBLE: Final = "double"
DECIMAL: Final = "decimal"
BOOLEAN: Final = "boolean"
STRING: Final = "string"
TIMESTAMP: Final = "timestamp"
DATE: Final = "date"
JSON: Final = "json"
TEXT: Final = "text"
STRUCT: Final = "struct"
LIST: Final = "list"
DECIMAL_PRECISION: Final = 38
_TINY: Final = Decimal("1e-38")  # below any decimal(38, scale) and near a double's end
# digits -> "0", e/E -> "e", "-" -> "-", the rest -> " ": "0e-000" marks 1e-400's exponent
_EXPONENT_MARKS: Final = bytes(
    48 if c in b"0123456789" else 101 if c in b"eE" else 45 if c == 45 else 32 for c in range(256)
)


class BadValue(Exception):
    """A value that does not fit its column: which row (index in the buffer) and why."""

    def __init__(self, row: int, path: str, problem: str) -> None:
        super().__init__(problem)
        self.row = row
        self.path = path
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its name, kind and, for structs and lists, the kinds inside."""

    name: str
    kind: str
    scale: int = 0
    children: tuple[Column, ...] = field(default=())

    def arrow_type(self) -> Any:
        import pyarrow as pa

        simple = {
            INTEGER: pa.int64(),
            DOUBLE: pa.float64(),
            BOOLEAN: pa.bool_(),
            STRING: pa.string(),
            TIMESTAMP: pa.timestamp("us", tz="UTC"),
            DATE: pa.date32(),
            JSON: pa.string(),
            TEXT: pa.string(),
        }
        if self.kind in simple:
            return simple[self.kind]
        if self.kind == DECIMAL:
            return pa.decimal128(DECIMAL_PRECISION, self.scale)
        if self.kind == LIST:
            return pa.list_(self.children[0].arrow_type())
        return pa.struct([pa.field(c.name, c.arrow_type()) for c in self.children])


def plan(
    properties: Mapping[str, Any], *, text_only: bool, number: str, scale: int, struct: bool
) -> list[Column]:
    """The columns of a SCHEMA's properties, in order (CSV: ``text_only``, nested columns
    JSON and the rest TEXT)."""
    if text_only:
        return [Column(name, JSON if _nested(spec) else TEXT) for name, spec in properties.items()]
    return [_column(name, spec, number, scale, struct) for name, spec in properties.items()]


def _nested(spec: Any) -> bool:
    return bool(_types(spec) & {"object", "array"})


def holds_text(column: Column) -> bool:
    """Whether any value of the column, at any depth, is kept as text (JSON or TEXT)."""
    return column.kind in (JSON, TEXT) or any(holds_text(c) for c in column.children)


def holds_numbers(column: Column) -> bool:
    """Whether the column has a double or decimal column at any depth."""
    return column.kind in (DOUBLE, DECIMAL) or any(holds_numbers(c) for c in column.children)


def number_leaves(array: Any, column: Column) -> Iterator[tuple[str, Any]]:
    """The flat double and decimal arrays inside one Arrow array of ``column``, with kinds."""
    if column.kind in (DOUBLE, DECIMAL):
        yield column.kind, array
    elif column.kind == STRUCT:
        for index, child in enumerate(column.children):
            yield from number_leaves(array.field(index), child)
    elif column.kind == LIST:
        yield from number_leaves(array.flatten(), column.children[0])


def has_tiny_number(data: bytes | bytearray) -> bool:
    """Whether JSON text holds a non-zero number smaller than 1e-38 with a negative exponent
    of 3+ digits (``1e-400``): one that a double or a decimal(38) cannot hold and pyarrow
    may read as 0. One C-level pass (``translate``, ``find``: ~170 ns a record) says whether
    the text has a digit, ``e-`` and 3 digits at all; only then are the hits looked at."""
    if data.translate(_EXPONENT_MARKS).find(b"0e-000") == -1:
        return False
    for mark in (b"e-", b"E-"):
        at = data.find(mark)
        while at != -1:
            end = at + 2
            while end < len(data) and 48 <= data[end] <= 57:
                end += 1
            start = at
            while start and data[start - 1] in b"0123456789.":
                start -= 1
            if end - at >= 5 and start < at and _tiny(bytes(data[start:end])):
                return True
            at = data.find(mark, at + 2)
    return False


def _tiny(token: bytes) -> bool:
    try:
        number = Decimal(token.decode())
    except ArithmeticError:  # "..e-500" inside a text: no number
        return False
    return bool(number) and abs(number) < _TINY


def json_text(value: Any) -> str:
    """A nested column's cell: the JSON text of ``value``, whatever its kind."""
    return dumps(value).decode()


def json_leaves(column: Column) -> Callable[[Any], Any] | None:
    """For a struct or list column with nested (JSON) columns inside: a function returning a
    value with each of those replaced by its :func:`json_text`; None when there are none.

    A value not shaped as the column declares is returned as it is, for the conversion to
    refuse it by name (:class:`BadValue`).
    """
    if column.kind == JSON:
        return lambda value: None if value is None else json_text(value)
    if column.kind == STRUCT:
        inner = {c.name: f for c in column.children if (f := json_leaves(c)) is not None}
        if not inner:
            return None

        def struct(value: Any) -> Any:
            if type(value) is not dict:
                return value
            return {k: (inner[k](v) if k in inner else v) for k, v in value.items()}

        return struct
    if column.kind == LIST:
        item = json_leaves(column.children[0])
        if item is None:
            return None
        return lambda value: [item(v) for v in value] if type(value) is list else value
    return None


def _column(name: str, spec: Any, number: str, scale: int, struct: bool) -> Column:
    types = _types(spec)
    if types == {"integer"}:
        return Column(name, INTEGER)
    if types and types <= {"integer", "number"}:
        if number == DECIMAL:
            return Column(name, DECIMAL, scale=_scale(spec, scale))
        return Column(name, DOUBLE)
    if types == {"boolean"}:
        return Column(name, BOOLEAN)
    if types == {"string"}:
        fmt = spec.get("format")
        return Column(name, {"date-time": TIMESTAMP, "date": DATE}.get(fmt, STRING))
    if struct and types == {"object"} and isinstance(spec.get("properties"), dict):
        children = spec["properties"]
        if children:
            kids = tuple(_column(k, v, number, scale, struct) for k, v in children.items())
            return Column(name, STRUCT, children=kids)
    if struct and types == {"array"} and isinstance(spec.get("items"), dict):
        item = _column("item", spec["items"], number, scale, struct)
        if item.kind not in (TEXT,):
            return Column(name, LIST, children=(item,))
    if types & {"object", "array"}:
        return Column(name, JSON)
    return Column(name, TEXT)  # several types, or none declared


def _types(spec: Any) -> set[str]:
    if not isinstance(spec, dict):
        return set()
    declared = spec.get("type")
    if isinstance(declared, str):
        types = {declared}
    elif isinstance(declared, list):
        types = {t for t in declared if isinstance(t, str)}
    else:
        types = set()
        for key in ("anyOf", "oneOf"):
            for option in spec.get(key) or ():
                types |= _types(option)
    return types - {"null"}


def _scale(spec: Mapping[str, Any], default: int) -> int:
    step = spec.get("multipleOf")
    if isinstance(step, int | float | Decimal) and not isinstance(step, bool) and step > 0:
        exponent = Decimal(str(step)).normalize().as_tuple().exponent
        if isinstance(exponent, int):
            return min(max(-exponent, 0), DECIMAL_PRECISION)
    return default


def to_arrays(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> list[Any]:
    """One Arrow array per column of ``rows``; raises :class:`BadValue` for a bad value.

    The values of nested (JSON) columns are their :func:`json_text` already."""
    return [_array([row.get(c.name) for row in rows], c) for c in columns]


def _array(values: list[Any], column: Column) -> Any:
    import pyarrow as pa

    kind = column.kind
    arrow_type = column.arrow_type()
    try:
        if kind in (TEXT, JSON):
            return pa.array([_text(v) for v in values], pa.string())
        if kind == DOUBLE and Decimal in set(map(type, values)):
            values = [_double(v, i, column.name) for i, v in enumerate(values)]
        elif kind == INTEGER and set(map(type, values)) & {float, Decimal}:
            values = [_integral(v, i, column.name) for i, v in enumerate(values)]
        elif kind == DECIMAL:
            values = [_decimal(v, i, column.name, column.scale) for i, v in enumerate(values)]
        elif kind == TIMESTAMP:
            return _timestamps(values, column)
        elif kind == DATE:
            return pa.array(values, pa.string()).cast(arrow_type)
        elif kind in (STRUCT, LIST):
            normal = _normaliser(column)
            values = [normal(v, i, column.name) for i, v in enumerate(values)]
        return pa.array(values, arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError) as exc:
        raise _locate(values, column, exc) from None


def _double(value: Any, row: int, path: str) -> Any:
    """A number as a double: rounded to the nearest one (what parquet_number: double means),
    but never to 0 or infinity, which would not be the number at all."""
    if type(value) is not Decimal:
        return value
    double = float(value)
    if not math.isfinite(double) or (double == 0 and value != 0):
        raise BadValue(
            row,
            path,
            f"{value} is beyond what a double holds (it would be stored as {double}); set "
            "parquet_number: decimal, or write jsonl or csv, which keep every number",
        )
    return double


def _decimal(value: Any, row: int, path: str, scale: int) -> Any:
    """A number for a decimal(38, scale) column, exact or refused: pyarrow rounds a
    Decimal with a very small exponent to 0 without a word, so digits beyond the scale are
    looked for here."""
    if type(value) is float:
        value = Decimal(repr(value))
    if type(value) is Decimal and value.is_finite():
        _, digits, exponent = value.as_tuple()
        kept = len(digits) - len(bytes(digits).rstrip(b"\0"))  # trailing zeros
        if any(digits) and int(exponent) + kept < -scale:
            raise BadValue(
                row,
                path,
                f"{value} does not fit decimal({DECIMAL_PRECISION}, {scale}) without "
                "rounding; raise decimal_scale, give the property a multipleOf, or set "
                "parquet_number: double",
            )
    return value


def _text(value: Any) -> str | None:
    """A text column's value: a string as it is, anything else as JSON. (A JSON column's
    values arrive as their JSON text already, strings: they pass unchanged.)"""
    if value is None or type(value) is str:
        return value
    return dumps(value).decode()


def _integral(value: Any, row: int, path: str) -> Any:
    """``2.0`` is the integer 2; ``1.5`` is an error (pyarrow would truncate it silently)."""
    if type(value) is float or type(value) is Decimal:
        if value != int(value):
            raise BadValue(row, path, f"{value} is not an integer")
        return int(value)
    return value


def _timestamps(values: list[Any], column: Column) -> Any:
    """ISO strings cast in C; naive ones (taken as UTC) and odd spellings parsed in Python."""
    import pyarrow as pa

    try:
        return pa.array(values, pa.string()).cast(column.arrow_type())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        parsed = [_parse_timestamp(v, i, column.name) for i, v in enumerate(values)]
        return pa.array(parsed, column.arrow_type())


def _parse_timestamp(value: Any, row: int, path: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadValue(row, path, f"expected a date-time string, got {_kind(value)}")
    try:
        moment = datetime.fromisoformat(value[:-1] + "+00:00" if value[-1:] == "Z" else value)
    except ValueError:
        raise BadValue(row, path, f"{value!r} is not an ISO 8601 date-time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_date(value: Any, row: int, path: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadValue(row, path, f"{value!r} is not an ISO 8601 date") from None


Normaliser = Callable[[Any, int, str], Any]


def _normaliser(column: Column) -> Normaliser:
    """A function checking one value against a struct/list column, returning what pyarrow
    converts without loss (undeclared keys and fractional integers are errors here)."""
    kind = column.kind
    if kind == STRUCT:
        names = {c.name: _normaliser(c) for c in column.children}

        def struct(value: Any, row: int, path: str) -> Any:
            if value is None:
                return None
            if not isinstance(value, dict):
                raise BadValue(row, path, f"expected an object, got {_kind(value)}")
            extra = value.keys() - names.keys()
            if extra:
                problem = "the object has a key its SCHEMA does not declare"
                raise BadValue(row, f"{path}.{sorted(extra)[0]}", problem)
            return {k: f(value.get(k), row, f"{path}.{k}") for k, f in names.items()}

        return struct
    if kind == LIST:
        item = _normaliser(column.children[0])

        def items(value: Any, row: int, path: str) -> Any:
            if value is None:
                return None
            if not isinstance(value, list):
                raise BadValue(row, path, f"expected an array, got {_kind(value)}")
            return [item(v, row, f"{path}[{i}]") for i, v in enumerate(value)]

        return items
    leaf: dict[str, Normaliser] = {
        INTEGER: _integral,
        DECIMAL: lambda v, r, p: _decimal(v, r, p, column.scale),
        DOUBLE: _double,
        TIMESTAMP: _parse_timestamp,
        DATE: _parse_date,
        JSON: lambda v, r, p: _text(v),
        TEXT: lambda v, r, p: _text(v),
    }
    return leaf.get(kind, lambda v, r, p: v)


def _locate(values: list[Any], column: Column, exc: BaseException) -> BadValue:
    """Find the first value pyarrow refuses, one at a time (only after a failure)."""
    import pyarrow as pa

    if isinstance(exc, BadValue):
        return exc
    arrow_type = column.arrow_type()
    for row, value in enumerate(values):
        if value is None:
            continue
        try:
            if column.kind == DATE:
                pa.array([value], pa.string()).cast(arrow_type)
            else:
                pa.array([value], arrow_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError) as bad:
            return BadValue(row, column.name, _problem(value, column, bad))
    return BadValue(0, column.name, str(exc))


def _problem(value: Any, column: Column, exc: BaseException) -> str:
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    if column.kind == DECIMAL and "data loss" in str(exc):
        return (
            f"{shown} does not fit decimal({DECIMAL_PRECISION}, {column.scale}) without "
            "rounding; raise decimal_scale, give the property a multipleOf, or set "
            "parquet_number: double"
        )
    if column.kind == INTEGER and isinstance(exc, OverflowError):
        return f"{shown} does not fit a 64-bit integer; declare the property as a number"
    return f"{shown} ({_kind(value)}) does not fit the {column.kind} column the SCHEMA declares"


def _kind(value: Any) -> str:
    return {
        type(None): "null",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        Decimal: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)
