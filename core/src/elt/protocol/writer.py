"""Write a Singer message stream with one syscall per buffer, not one per message.

Flushing after every message (singer-sdk's default) costs a write syscall per record and
caps a tap near 100k lines/s before any real work. This writer appends orjson output to a
buffer and hands it to the file only when the buffer is full, when a STATE is written (a
reader acts on STATE, so everything before it must be visible by then), and on ``flush``
/ ``close``. RECORD lines are built from a per-stream prefix, so the only per-record work
is serialising the record itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import IO, Any, Final

import orjson

from elt.protocol.messages import (
    ACTIVATE_VERSION,
    BATCH,
    SCHEMA,
    STATE,
    record_line_prefix,
)

DEFAULT_BUFFER_BYTES: Final = 64 * 1024
_NEWLINE: Final = orjson.OPT_APPEND_NEWLINE


def json_default(value: object) -> Any:
    """Serialise what orjson does not know natively.

    ``Decimal`` is written as the JSON number it holds (not a string, and not rounded
    through a double); NaN and infinities, which JSON cannot carry, become null. Anything
    else is written as its ``str``, as singer-sdk's own encoder does.
    """
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value)) if value.is_finite() else None
    return str(value)


def dumps(value: object, option: int = 0) -> bytes:
    """One JSON document as compact UTF-8 bytes, with :func:`json_default` for the rest.

    orjson refuses integers beyond 64 bits, which the reader produces for such input; on
    that rare path they are passed through as exact number text.
    """
    try:
        return orjson.dumps(value, default=json_default, option=option)
    except orjson.JSONEncodeError:
        return orjson.dumps(_big_ints_as_text(value), default=json_default, option=option)


def _big_ints_as_text(value: object) -> object:
    if type(value) is int and not -(2**63) <= value < 2**64:
        return orjson.Fragment(str(value))
    if isinstance(value, dict):
        return {k: _big_ints_as_text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_big_ints_as_text(v) for v in value]
    return value


class MessageWriter:
    """Buffered Singer message writer over a binary file (stdout's buffer, a pipe, a file).

    Not thread-safe: one writer per output, used from one thread.
    """

    def __init__(self, out: IO[bytes], *, buffer_bytes: int = DEFAULT_BUFFER_BYTES) -> None:
        self._out = out
        self._buffer = bytearray()
        self._limit = buffer_bytes
        self._record_prefixes: dict[str, bytes] = {}

    def write_record(
        self,
        stream: str,
        record: Mapping[str, Any],
        *,
        version: int | None = None,
        time_extracted: str | datetime | None = None,
    ) -> None:
        prefix = self._record_prefixes.get(stream)
        if prefix is None:
            prefix = record_line_prefix(stream)
            self._record_prefixes[stream] = prefix
        buffer = self._buffer
        buffer += prefix
        buffer += dumps(record)
        if version is not None:
            buffer += b',"version":%d' % version
        if time_extracted is not None:
            buffer += b',"time_extracted":' + orjson.dumps(time_extracted)
        buffer += b"}\n"
        if len(buffer) >= self._limit:
            self._drain()

    def write_schema(
        self,
        stream: str,
        schema: Mapping[str, Any],
        key_properties: Sequence[str] = (),
        *,
        bookmark_properties: Sequence[str] | None = None,
    ) -> None:
        message: dict[str, Any] = {
            "type": SCHEMA,
            "stream": stream,
            "schema": schema,
            "key_properties": list(key_properties),
        }
        if bookmark_properties is not None:
            message["bookmark_properties"] = list(bookmark_properties)
        self.write(message)

    def write_state(self, value: Mapping[str, Any]) -> None:
        """Write a STATE and flush: a reader may act on it as soon as it arrives."""
        self.write({"type": STATE, "value": value})

    def write_activate_version(self, stream: str, version: int) -> None:
        self.write({"type": ACTIVATE_VERSION, "stream": stream, "version": version})

    def write_batch(
        self, stream: str, encoding: Mapping[str, Any], manifest: Sequence[str]
    ) -> None:
        self.write(
            {"type": BATCH, "stream": stream, "encoding": encoding, "manifest": list(manifest)}
        )

    def write(self, message: Mapping[str, Any]) -> None:
        """Write any message given as a dict; a STATE flushes."""
        self._buffer += dumps(message, _NEWLINE)
        if message.get("type") == STATE:
            self.flush()
        elif len(self._buffer) >= self._limit:
            self._drain()

    def write_raw(self, line: bytes) -> None:
        """Write one already-serialised message line (with its newline), e.g. when relaying."""
        self._buffer += line
        if len(self._buffer) >= self._limit:
            self._drain()

    def flush(self) -> None:
        self._drain()
        self._out.flush()

    def close(self) -> None:
        """Flush; the underlying file stays open (it is usually stdout)."""
        self.flush()

    def __enter__(self) -> MessageWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _drain(self) -> None:
        if self._buffer:
            self._out.write(self._buffer)
            self._buffer = bytearray()
