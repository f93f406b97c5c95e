"""A row of values → one line of a ``COPY … (FORMAT csv, NULL 'null', ESCAPE '\\')`` stream.

Why CSV written by orjson rather than psycopg's ``write_row``: psycopg formats value by
value (a dumper lookup and call each, about 2 µs for a 12-column row) while
``orjson.dumps(row)`` writes the whole row as a JSON array in about 0.4 µs, and a JSON array
*is* a CSV line for Postgres once its brackets are dropped and the COPY is told that

- strings are double-quoted, with ``"`` and ``\\`` escaped by a backslash (``ESCAPE '\\'``);
- an unquoted ``null`` is NULL (``NULL 'null'``), while ``"null"`` and ``""`` are strings;
- numbers and ``true``/``false`` are unquoted, which numeric, integer and boolean columns
  parse as they are (and text columns store as written).

Two things in a JSON array are not CSV, and the loader sends the rare line holding one here:
JSON escapes other than ``\\"`` and ``\\\\`` (``\\n``, ``\\t``, ``\\u0001``…), which
:func:`line_from_json` turns back into the characters (a quoted CSV field may hold newlines
and tabs), and a nested object or array where the schema promised a scalar, which
:func:`csv_line` writes value by value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

from target_postgres.rows import NulCharacter, json_text

__all__ = ["COPY_OPTIONS", "csv_line", "csv_safe", "is_flat", "line_from_json"]

COPY_OPTIONS: Final = "(FORMAT csv, NULL 'null', ESCAPE '\\')"

# One JSON escape; matched left to right they align with the escapes orjson wrote.
_ESCAPE: Final = re.compile(rb"\\(u[0-9a-fA-F]{4}|.)")
_UNESCAPED: Final = {
    b"\\n": b"\n",
    b"\\t": b"\t",
    b"\\r": b"\r",
    b"\\b": b"\b",
    b"\\f": b"\f",
    b"\\/": b"/",
}


def is_flat(data: bytes) -> bool:
    """Whether an orjson-encoded row holds no nested object or array (false alarms ok).

    Strings are quoted, so a bracket that opens a value follows ``[`` or ``,`` directly.
    """
    return not (b",[" in data or b",{" in data or data[1:2] in (b"[", b"{"))


def csv_safe(data: bytes) -> bool:
    """Whether every escape in an orjson-encoded row is ``\\"`` or ``\\\\``.

    Those two CSV reads as JSON means them (``ESCAPE '\\'``). Dropping the ``\\\\`` pairs
    first, left to right as orjson wrote them, leaves one backslash per other escape, so
    the row is safe exactly when each remaining backslash precedes a quote.
    """
    rest = data.replace(b"\\\\", b"")
    return rest.count(b"\\") == rest.count(b'\\"')


def line_from_json(data: bytes) -> bytes:
    """The CSV line (no newline) for a flat orjson-encoded row, with JSON escapes undone.

    Without ``\\\\`` and ``\\u`` every backslash starts a one-letter escape, so plain
    replacements (C speed) undo them; otherwise each escape is matched in order.
    """
    line = data[1:-1]
    if b"\\\\" in line or b"\\u" in line:
        return _ESCAPE.sub(_unescape, line)
    for escape, character in _UNESCAPED.items():
        line = line.replace(escape, character)
    return line


def _unescape(match: re.Match[bytes]) -> bytes:
    escaped = match.group(1)
    if escaped in (b'"', b"\\"):
        return match.group(0)
    if escaped[0] == ord("u"):
        code = int(escaped[1:], 16)
        if code == 0:
            raise NulCharacter
        return chr(code).encode("utf-8")
    return _UNESCAPED[match.group(0)]


def csv_line(row: Sequence[Any]) -> bytes:
    """The CSV line (no newline) for ``row``, built value by value.

    Raises :class:`NulCharacter` for a NUL in a string (Postgres cannot store it) and
    ``UnicodeEncodeError`` for a string that is not valid Unicode.
    """
    fields = []
    for value in row:
        if value is None:
            fields.append("null")
        elif value is True:
            fields.append("true")
        elif value is False:
            fields.append("false")
        elif isinstance(value, float):
            fields.append(repr(value))
        elif isinstance(value, int | Decimal):
            fields.append(str(value))
        else:
            text = value if isinstance(value, str) else json_text(value)
            if "\x00" in text:
                raise NulCharacter
            fields.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return ",".join(fields).encode("utf-8")
