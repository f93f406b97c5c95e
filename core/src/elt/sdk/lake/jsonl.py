"""JSONL: one record per line, exactly as received, any schema.

The cheapest format to write: each record's orjson bytes are appended to a buffer of at
most ``buffer_size`` bytes, handed to the :class:`~elt.sdk.lake.output.Output` as it fills
(numbers the reader kept exact, ``Decimal`` and >64-bit integers, are written digit for
digit by :func:`elt.protocol.dumps`). Whole RECORD lines of elt's spelling are taken
unparsed (:meth:`JsonlEncoder.add_raw`).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from typing import Any, Final

import orjson

from elt.protocol import dumps, json_default, record_line_prefix
from elt.sdk.lake.output import Output
from elt.sdk.lake.rawrecords import records_of

__all__ = ["JsonlEncoder"]

_NEWLINE: Final = orjson.OPT_APPEND_NEWLINE
_orjson_dumps: Final = orjson.dumps
_orjson_loads: Final = orjson.loads
_encode_error: Final = orjson.JSONEncodeError
_decode_error: Final = orjson.JSONDecodeError
# what elt's writers put after a RECORD line's record
_WRITERS_TAIL: Final = re.compile(rb'(?:,"version":-?[0-9]+)?(?:,"time_extracted":"[^"\\]*")?')


class JsonlEncoder:
    """One record per line, as received.

    A whole RECORD line in elt's spelling (:meth:`add_raw`) holds its record object from
    the prefix to the last ``}`` before the line's own (``version`` and ``time_extracted``
    after it hold none): those bytes are written as they are, after one ``orjson`` parse
    that proves them exactly one JSON object with the key properties — no digit can change
    on the way, and a slice that is not one object is refused. Such a line is then parsed
    exactly, as any other.
    """

    def __init__(
        self,
        output: Output,
        buffer_size: int,
        keys: Sequence[str] = (),
        *,
        stream: str = "",
        source: str = "<input>",
    ) -> None:
        self.output = output
        self._buffer = bytearray()
        self._limit = buffer_size
        self._keys = tuple(keys)
        self._stream = stream
        self._source = source
        self._skip = len(record_line_prefix(stream))

    def add_raw(self, line: bytes, number: int) -> bool:
        """Take one whole RECORD line of elt's spelling, unparsed; see :meth:`add`."""
        body = line.rstrip(b"\r\n")
        # what may follow the record (version, time_extracted) holds no "}"
        end = body.rfind(b"}", 0, len(body) - 1) + 1
        record = body[self._skip : end]
        try:
            value = _orjson_loads(record)
        except _decode_error:
            value = None
        if (
            type(value) is dict
            and all(key in value for key in self._keys)
            # anything else after the record (a repeated key) is for records_of to judge
            and (end == len(body) - 1 or _WRITERS_TAIL.fullmatch(body, end, len(body) - 1))
        ):
            self._buffer += record
            self._buffer += b"\n"
            if len(self._buffer) < self._limit:
                return False
            self._flush()
            return True
        numbers = array("q", [number])
        (exact,) = records_of(line, numbers, self._keys, self._source, self._stream)
        return self.add(exact, number)

    def add(self, record: dict[str, Any], line: int) -> bool:
        try:
            self._buffer += _orjson_dumps(record, default=json_default, option=_NEWLINE)
        except _encode_error:
            self._buffer += dumps(record, _NEWLINE)  # integers beyond 64 bits
        if len(self._buffer) < self._limit:
            return False
        self._flush()
        return True

    def finish(self) -> None:
        self._flush()
        self.output.finish()

    def abort(self) -> None:
        """Nothing runs in the background: records are encoded as they come."""

    def _flush(self) -> None:
        if self._buffer:
            self.output.write(self._buffer)
            self._buffer = bytearray()
