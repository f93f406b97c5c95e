"""Building record dicts from converted columns, and RECORD lines from a batch of records.

Both are on the per-row path, where a Python call per value or per row is what limits a tap,
so both do their work in as few C calls as possible:

- :func:`record_builder` compiles ``lambda v0, v1, ...: {"id": v0, "name": v1, ...}`` for a
  stream's columns. A dict display with constant keys is built presized in one step, in
  about half the time of ``dict(zip(names, row))``, which grows the dict twice for a dozen
  columns. The keys are written with ``repr``, which gives a valid literal for any string.
- :func:`encode_records` serialises each record with ``orjson.dumps`` through ``map`` and
  joins them with the bytes that end one RECORD line and start the next, so a batch costs
  one ``bytes.join`` and no Python-level loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

__all__ = ["RecordBuilder", "encode_records", "record_builder", "record_prefix"]

RecordBuilder = Callable[..., dict[str, Any]]


def record_builder(names: Sequence[str]) -> RecordBuilder:
    """A function of one value per column, in ``names`` order, returning the record dict.

    Called as ``map(builder, *columns)``, which passes each row's values without building
    a tuple per row.
    """
    params = ", ".join(f"v{index}" for index in range(len(names)))
    items = ", ".join(f"{name!r}: v{index}" for index, name in enumerate(names))
    source = f"lambda {params}: {{{items}}}"
    builder: RecordBuilder = eval(source, {"__builtins__": {}})
    return builder


def record_prefix(stream: str) -> bytes:
    """The bytes every RECORD line of ``stream`` starts with, up to the record itself."""
    return b'{"type":"RECORD","stream":' + orjson.dumps(stream) + b',"record":'


def encode_records(prefix: bytes, records: Sequence[dict[str, Any]], version: int | None) -> bytes:
    """RECORD lines, one per record, each starting with ``prefix`` (see :func:`record_prefix`).

    The values must be ones orjson writes natively (``str``, ``int``, ``bool``, ``None``,
    ``orjson.Fragment``), as :func:`tap_csv.columns.convert` gives for ``Encoding.JSON``.
    """
    if not records:
        return b""
    end = b"}\n" if version is None else b',"version":%d}\n' % version
    return prefix + (end + prefix).join(map(orjson.dumps, records)) + end
