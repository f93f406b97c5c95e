"""RECORD message → the tuple of values of one COPY row, by a function compiled per stream.

This is the hot path of the target: it runs once per record, a million times a minute. So
instead of looping over columns and converters in Python for every record, each stream
compiles, from its column list, one small function that does exactly the work its columns
need and nothing else::

    def strict(message):
        r = message['record']
        try:
            t = items(r)                # operator.itemgetter(*properties)
        except KeyError:
            raise Sparse
        v0, v1, v2, v3 = t
        if v0 is None: raise KeyMissing(0)
        if v3 is not None: v3 = json(v3)
        return (v0, v1, v2, v3, message.get(n4))

The generated source only ever contains identifiers made here (``n0``, ``v3``…): the
property names themselves are passed in the function's globals, never spliced into code, so
no stream or property name can change what runs. Text, numbers, booleans and timestamps go
to COPY untouched (:mod:`target_postgres.copydata` writes the line) and Postgres parses and
checks them on its own core. Only three things need Python:

- an ``integer`` value sent as ``1.0`` (valid JSON Schema) becomes ``1``, else Postgres
  would reject it; other non-integers are left for Postgres to reject with a clear error;
- objects, arrays and scalars bound for ``json``/``jsonb`` become JSON text (orjson);
- with ``interpret_content_encoding``, base16 and base64 text bound for ``bytea`` becomes
  bytea's hex input (``\\x…``);
- key properties must be present and non-null.
"""

from __future__ import annotations

import base64
import itertools
import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any, Final

import orjson

from elt.protocol import json_default

__all__ = [
    "BadEncoding",
    "Clock",
    "Convert",
    "Field",
    "KeyMissing",
    "NeedsVersion",
    "NulCharacter",
    "RowFunction",
    "RowFunctions",
    "Source",
    "Sparse",
    "TooDeep",
    "compile_row",
    "contains_nul",
    "json_text",
    "sequence_from",
    "strip_nul",
]

RowFunction = Callable[[dict[str, Any]], tuple[Any, ...]]

_INT64_MIN: Final = -(2**63)
_UINT64_MAX: Final = 2**64 - 1
_ESCAPED_NUL: Final = b"\\u0000"


class Source(Enum):
    """Where a column's value comes from."""

    RECORD = "record"  # a property of the record
    MESSAGE = "message"  # a key of the RECORD message (time_extracted, version)
    SEQUENCE = "sequence"  # an increasing number, one per row
    CLOCK = "clock"  # the time the current batch started
    CONSTANT = "constant"  # the same value for every row


class Convert(Enum):
    """What the value needs before COPY can take it."""

    NONE = "none"
    INTEGER = "integer"
    JSON = "json"
    BASE16 = "base16"  # hex text → bytea (interpret_content_encoding)
    BASE64 = "base64"  # base64 text → bytea (interpret_content_encoding)


@dataclass(frozen=True, slots=True)
class Field:
    """One COPY column: its Postgres name, where its value comes from, and its conversion.

    ``declared`` is False for the columns the target adds (record metadata, the table
    version), which no SCHEMA declared: errors about them must not blame the SCHEMA.
    """

    column: str
    name: str
    source: Source = Source.RECORD
    convert: Convert = Convert.NONE
    key: bool = False
    value: object = None
    declared: bool = True


class Clock:
    """The batch timestamp shared by a stream's rows, refreshed by the loader per batch."""

    __slots__ = ("iso",)

    def __init__(self, iso: str) -> None:
        self.iso = iso


class KeyMissing(Exception):
    """A key property of the record is absent or null; ``index`` is the field's position."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


class NulCharacter(Exception):
    """A JSON value holds a NUL character, which Postgres cannot store."""


class TooDeep(Exception):
    """A JSON value is nested deeper than orjson writes (254 levels); the reader takes up
    to 1,024, so such a record reaches the target and must be refused, not crash it."""


class NeedsVersion(Exception):
    """A record carries a table version but the stream's table has no version columns yet."""


class Sparse(Exception):
    """A record lacks a property, so the stream needs its lenient row function."""


class BadEncoding(Exception):
    """A value of a ``bytea`` column is not text of its contentEncoding; ``index`` is the
    field's position."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


@dataclass(frozen=True, slots=True)
class RowFunctions:
    """A stream's two compiled row functions.

    ``strict`` reads every property with one C-level ``itemgetter`` call and raises
    :class:`Sparse` when a record lacks one; ``lenient`` reads them one ``dict.get`` at a
    time, so an absent property is NULL. The loader starts a stream on ``strict`` (about
    30% faster on complete records) and moves it to ``lenient`` at its first sparse record.
    """

    strict: RowFunction
    lenient: RowFunction


def compile_row(
    fields: Sequence[Field],
    *,
    clock: Clock,
    sequence: Iterator[int],
    watch_version: bool = False,
) -> RowFunctions:
    """The functions turning one RECORD message into the COPY row for ``fields``.

    ``watch_version`` makes them raise :class:`NeedsVersion` on a message with a
    ``version``, so the loader can add the version columns the first time one arrives.
    """
    from_record = [f.name for f in fields if f.source is Source.RECORD]
    namespace: dict[str, Any] = {
        "integer": integer_value,
        "json": json_text,
        "base16": base16_bytea,
        "base64": base64_bytea,
        "KeyMissing": KeyMissing,
        "NeedsVersion": NeedsVersion,
        "Sparse": Sparse,
        "clock": clock,
        "seq": sequence,
        "items": operator.itemgetter(*from_record) if from_record else None,
    }
    for i, field in enumerate(fields):
        namespace[f"n{i}"] = field.name
        namespace[f"c{i}"] = field.value
    head = ["    if 'version' in message: raise NeedsVersion"] if watch_version else []
    lenient = ["def lenient(message):", *head, "    r = message['record']", "    g = r.get"]
    strict = ["def strict(message):", *head, "    r = message['record']"]
    record_vars = [f"v{i}" for i, f in enumerate(fields) if f.source is Source.RECORD]
    if len(record_vars) == 1:
        strict += [
            "    try:",
            "        v = items(r)",
            "    except KeyError:",
            "        raise Sparse",
        ]
        strict.append(f"    {record_vars[0]} = v")
    elif record_vars:
        strict += [
            "    try:",
            "        t = items(r)",
            "    except KeyError:",
            "        raise Sparse",
        ]
        strict.append(f"    {', '.join(record_vars)} = t")
    values = []
    for i, field in enumerate(fields):
        reads = {
            Source.RECORD: f"g(n{i})",
            Source.MESSAGE: f"message.get(n{i})",
            Source.SEQUENCE: "next(seq)",
            Source.CLOCK: "clock.iso",
            Source.CONSTANT: f"c{i}",
        }[field.source]
        checks = []
        if field.key:
            checks.append(f"    if v{i} is None: raise KeyMissing({i})")
        if field.convert is Convert.INTEGER:
            checks.append(
                f"    if v{i}.__class__ is not int and v{i} is not None: v{i} = integer(v{i})"
            )
        elif field.convert is Convert.JSON:
            checks.append(f"    if v{i} is not None: v{i} = json(v{i})")
        elif field.convert in (Convert.BASE16, Convert.BASE64):
            checks.append(f"    if v{i} is not None: v{i} = {field.convert.value}(v{i}, {i})")
        if field.source is Source.RECORD:
            lenient += [f"    v{i} = {reads}", *checks] if checks else []
            strict += checks
            values.append(f"v{i}" if checks else None)
        elif checks:
            lenient += [f"    v{i} = {reads}", *checks]
            strict += [f"    v{i} = {reads}", *checks]
            values.append(f"v{i}")
        else:
            values.append(reads)
    lenient.append(
        "    return (" + "".join(f"{v or f'g(n{i})'}, " for i, v in enumerate(values)) + ")"
    )
    strict.append("    return (" + "".join(f"{v or f'v{i}'}, " for i, v in enumerate(values)) + ")")
    source = "\n".join([*lenient, *strict])
    exec(compile(source, "<target-postgres row>", "exec"), namespace)
    return RowFunctions(strict=namespace["strict"], lenient=namespace["lenient"])


def integer_value(value: Any) -> Any:
    """``1.0`` → ``1`` for an integer column; anything else unchanged, for Postgres to judge."""
    if value.__class__ is float and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


def base16_bytea(value: Any, index: int) -> str:
    """Hex text as bytea's COPY input (``\\x…``); Postgres checks the digits as it parses.

    As in MeltanoLabs' target, a ``0x`` or ``\\x`` prefix is dropped and an odd number of
    digits gets a leading zero.
    """
    if value.__class__ is not str:
        raise BadEncoding(index)
    digits: str = value[2:] if value[:2] in ("0x", "0X", "\\x") else value
    return ("\\x0" if len(digits) % 2 else "\\x") + digits


def base64_bytea(value: Any, index: int) -> str:
    """base64 text (line breaks allowed) as bytea's COPY input (``\\x…``)."""
    try:
        data = base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True)
    except (AttributeError, TypeError, ValueError):  # binascii.Error is a ValueError
        raise BadEncoding(index) from None
    return "\\x" + data.hex()


def json_text(value: Any) -> str:
    """``value`` as JSON text for a json/jsonb column (numbers keep every digit)."""
    try:
        data = orjson.dumps(value, default=json_default)
    except orjson.JSONEncodeError as exc:
        if "Recursion limit" in str(exc):
            raise TooDeep from None
        data = orjson.dumps(_big_ints_as_fragments(value), default=json_default)
    if _ESCAPED_NUL in data and contains_nul(value):
        raise NulCharacter
    return data.decode("utf-8")


def contains_nul(value: Any) -> bool:
    """Whether a string anywhere in ``value`` (keys included) holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(v) for v in value)
    return False


def strip_nul(value: Any) -> Any:
    """``value`` with every NUL character removed from its strings (keys included)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {strip_nul(k): strip_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_nul(v) for v in value]
    return value


def _big_ints_as_fragments(value: Any) -> Any:
    """Integers beyond 64 bits (which orjson refuses) as raw JSON number fragments."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if _INT64_MIN <= value <= _UINT64_MAX else orjson.Fragment(str(value))
    if isinstance(value, dict):
        return {k: _big_ints_as_fragments(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_big_ints_as_fragments(v) for v in value]
    return value


def sequence_from(start: int) -> Iterator[int]:
    """An increasing row sequence; :mod:`itertools` keeps it at C speed."""
    return itertools.count(start)
