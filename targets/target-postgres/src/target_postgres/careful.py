"""The careful path for a record the loader's fast path flagged: its COPY line, or why not.

:meth:`Loader.record <target_postgres.loader.Loader.record>` encodes a row with one
orjson call and ships it. A record whose row function signals something — a missing
property (the stream moves to its lenient row function), a key property without a value,
a ``version`` the table has no column for yet, text that is not of its contentEncoding, a
NUL character — or whose encoding holds a nested value or a JSON escape CSV does not read,
comes here instead, once per record: rare by design, so clarity wins over speed.

NUL characters, which Postgres cannot store, are removed when
``sanitize_null_text_characters`` allows (the records are counted per stream, for the
loader to log at each commit), else refused naming the line, stream and property.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import orjson
from singer_sdk.exceptions import MissingKeyPropertiesError

from elt.errors import ProtocolError
from elt.protocol import json_default
from target_postgres.copydata import csv_line, csv_safe, is_flat, line_from_json
from target_postgres.failures import NOTHING_COMMITTED
from target_postgres.rows import (
    BadEncoding,
    KeyMissing,
    NeedsVersion,
    NulCharacter,
    Sparse,
    TooDeep,
    contains_nul,
    strip_nul,
)
from target_postgres.stream import Stream

__all__ = ["CarefulEncoder"]

_NUL_HINT: Final = (
    "drop sanitize_null_text_characters: false to have NUL characters removed (and counted "
    f"in the log), or remove them in the tap; {NOTHING_COMMITTED}"
)

Where = Callable[..., str]


class CarefulEncoder:
    """Encodes flagged records; ``where(stream=, prop=)`` locates errors, ``upgrade`` gives
    a stream the version columns, and :attr:`sanitized` counts records whose NULs went."""

    def __init__(
        self, *, sanitize: bool, where: Where, upgrade: Callable[[Stream], Stream]
    ) -> None:
        self._sanitize = sanitize
        self._where = where
        self._upgrade = upgrade
        self.sanitized: dict[str, int] = {}

    def encode(
        self, stream: Stream, message: dict[str, Any], data: bytes | None = None
    ) -> tuple[Stream, bytes]:
        """The record's CSV line, and its stream (upgraded if a version needed columns).

        ``data`` is the record's orjson encoding when that worked but may hold a nested
        value or an escape CSV does not read.
        """
        row = None
        if data is None:
            stream, row = self.row(stream, message)
            try:
                data = orjson.dumps(row, default=json_default)
            except orjson.JSONEncodeError:  # an integer beyond 64 bits, a lone surrogate
                data = None
        try:
            if data is not None and is_flat(data):
                if 92 not in data or csv_safe(data):
                    return stream, data[1:-1]
                return stream, line_from_json(data)
            if row is None:
                stream, row = self.row(stream, message)
            return stream, csv_line(row)
        except NulCharacter:
            return self.encode(stream, self._without_nul(stream, message))
        except TooDeep:
            raise self._too_deep(stream, message) from None
        except UnicodeEncodeError:
            bad = next((k for k, v in message["record"].items() if _not_unicode(v)), None)
            raise ProtocolError(
                "text value holds an unpaired surrogate (\\ud800-\\udfff), which is not "
                "valid Unicode",
                where=self._where(stream=stream.name, prop=bad),
                hint=f"fix the tap's encoding; {NOTHING_COMMITTED}",
            ) from None

    def row(self, stream: Stream, message: dict[str, Any]) -> tuple[Stream, tuple[Any, ...]]:
        """The record's row, after handling what the row function signals (once each)."""
        while True:
            try:
                return stream, stream.row(message)
            except Sparse:
                stream.row = stream.lenient_row
            except KeyMissing as missing:
                key = stream.fields[missing.index].name
                raise MissingKeyPropertiesError(
                    f"the record has no value for its key property {key!r}"
                ) from None
            except NeedsVersion:
                stream = self._upgrade(stream)
            except BadEncoding as bad:
                field = stream.fields[bad.index]
                raise ProtocolError(
                    f"the value is not {field.convert.value} text, which its "
                    "contentEncoding promises",
                    where=self._where(stream=stream.name, prop=field.name),
                    hint="fix the tap, or turn interpret_content_encoding off to load the "
                    f"text as it is; {NOTHING_COMMITTED}",
                ) from None
            except NulCharacter:
                message = self._without_nul(stream, message)
            except TooDeep:
                raise self._too_deep(stream, message) from None

    def _too_deep(self, stream: Stream, message: dict[str, Any]) -> ProtocolError:
        return ProtocolError(
            f"the value is nested more than {_MAX_DEPTH} levels deep, more than a json "
            "column takes here",
            where=self._where(stream=stream.name, prop=_too_deep(message["record"])),
            hint=f"flatten it in the tap or a stream map; {NOTHING_COMMITTED}",
        )

    def _without_nul(self, stream: Stream, message: dict[str, Any]) -> dict[str, Any]:
        """The message with NUL characters removed, if the settings allow; else an error."""
        if not self._sanitize:
            culprit = next((k for k, v in message["record"].items() if contains_nul(v)), None)
            raise ProtocolError(
                "value holds a NUL (\\u0000) character, which Postgres cannot store",
                where=self._where(stream=stream.name, prop=culprit),
                hint=_NUL_HINT,
            )
        self.sanitized[stream.name] = self.sanitized.get(stream.name, 0) + 1
        cleaned: dict[str, Any] = strip_nul(message)
        return cleaned


def _not_unicode(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


#: the deepest nesting orjson writes, and so what a json/jsonb value may hold here
_MAX_DEPTH = 254


def _too_deep(record: dict[str, Any]) -> str | None:
    """The first property whose value orjson cannot write for its depth."""
    for name, value in record.items():
        try:
            orjson.dumps(value, default=json_default)
        except orjson.JSONEncodeError as exc:
            if "Recursion limit" in str(exc):
                return name
    return None
