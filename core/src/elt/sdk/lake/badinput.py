"""The lake writer's bad-input errors: one paragraph naming line, stream and property once.

A record is often checked long after the reader moved on (a columnar buffer is typed in C++
on a worker thread, thousands of lines later), so the reader's own note of "the current
line" would name the wrong one. Every bad-input error of the lake is therefore a
:class:`~elt.errors.ProtocolError` that carries its own location, ``<source> line N,
stream 's', property 'p'``, which the reader passes on untouched; the message after it names
none of them again. The two singer-sdk types its standard target tests expect stay
catchable as such.
"""

from __future__ import annotations

from collections.abc import Sequence

from singer_sdk.exceptions import MissingKeyPropertiesError, RecordsWithoutSchemaException

from elt.errors import ProtocolError

__all__ = ["MissingKey", "RecordBeforeSchema", "location", "missing_key", "record_before_schema"]


def location(source: str, line: int, stream: str, prop: str | None = None) -> str:
    """Where a bad value is: ``<stdin> line 3, stream 'orders', property 'id'``."""
    where = f"{source} line {line}, stream {stream!r}"
    return where if prop is None else f"{where}, property {prop!r}"


class MissingKey(ProtocolError, MissingKeyPropertiesError):
    """A record lacks one of its stream's key properties."""


class RecordBeforeSchema(ProtocolError, RecordsWithoutSchemaException):
    """A RECORD arrived before its stream's SCHEMA."""


def missing_key(where: str, key: str, keys: Sequence[str]) -> MissingKey:
    return MissingKey(
        f"the record lacks its key property {key!r} (key properties: {list(keys)})",
        where=where,
        hint="every record must carry its stream's key_properties",
    )


def record_before_schema(where: str) -> RecordBeforeSchema:
    return RecordBeforeSchema(
        "a RECORD arrived before its SCHEMA message",
        where=where,
        hint="the tap must send a stream's SCHEMA before its records",
    )
