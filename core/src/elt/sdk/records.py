"""RECORD lines for a batch of records in one C call: the lean path our taps write through.

singer-sdk writes a record through a generator step, a deselection copy, type conformance,
a message object and a writer call — about 30 µs a row on 12 columns. A tap that already
holds JSON-ready values and no stream map (:func:`maps_are_identity`) can skip all of it:
:func:`encode_records` serialises a batch with ``orjson.dumps`` through ``map`` and joins
the lines with the bytes that end one RECORD and start the next, so a batch costs one
``bytes.join`` and no Python-level loop, and the result goes to
:meth:`elt.sdk.OrjsonWriter.write_lines`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from singer_sdk import Stream

from elt.protocol import dumps, record_line_prefix
from elt.sdk.maps import maps_are_identity_for

__all__ = ["encode_records", "maps_are_identity", "record_prefix"]


def record_prefix(stream: str) -> bytes:
    """The bytes every RECORD line of ``stream`` starts with, up to the record itself."""
    return record_line_prefix(stream)


def encode_records(prefix: bytes, records: Sequence[dict[str, Any]], version: int | None) -> bytes:
    """RECORD lines, one per record, each starting with ``prefix`` (see :func:`record_prefix`).

    Values orjson writes natively (``str``, ``int``, ``float``, ``bool``, ``None``, lists,
    dicts, ``orjson.Fragment``) take the fast path; a batch holding anything else
    (``Decimal`` from an exact parse, a 65-bit integer) is written through
    :func:`elt.protocol.dumps`, which keeps every digit.
    """
    if not records:
        return b""
    end = b"}\n" if version is None else b',"version":%d}\n' % version
    try:
        body = (end + prefix).join(map(orjson.dumps, records))
    except orjson.JSONEncodeError:
        body = (end + prefix).join(map(dumps, records))
    return prefix + body + end


def maps_are_identity(stream: Stream) -> bool:
    """Whether ``stream`` has no stream map, alias, filter or flattening: records go out as
    they are."""
    return maps_are_identity_for(stream.stream_maps, stream.name)
