"""singer-sdk message reader and writer classes on elt's fast protocol layer.

singer-sdk's defaults parse with the standard library into ``Decimal`` and serialise with
simplejson, flushing stdout after every message. These classes plug into the SDK through
its own extension points (``Tap.message_writer_class``, ``Target.message_reader_class``)
and replace that with orjson, a buffered writer that flushes on STATE, and a reader whose
errors name the line. Number precision is kept: see :mod:`elt.protocol.reader`.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections import Counter
from collections.abc import Callable
from typing import IO, Any

import orjson
from singer_sdk.exceptions import (
    InvalidRecord,
    MissingKeyPropertiesError,
    RecordsWithoutSchemaException,
)
from singer_sdk.singerlib.encoding import GenericSingerReader, GenericSingerWriter
from singer_sdk.singerlib.encoding.simple import Message, RecordMessage
from singer_sdk.singerlib.exceptions import InvalidInputLine

from elt.errors import EltError, ProtocolError
from elt.protocol import RECORD, MessageReader, MessageWriter, json_default

__all__ = ["INPUT_ERRORS", "OrjsonReader", "OrjsonWriter", "StdoutSink", "input_error"]

# singer-sdk exceptions that mean "this input is wrong" rather than "this plugin failed".
INPUT_ERRORS: tuple[type[Exception], ...] = (
    RecordsWithoutSchemaException,
    MissingKeyPropertiesError,
    InvalidRecord,
    InvalidInputLine,
)


class StdoutSink:
    """Binary view of whatever ``sys.stdout`` is at the moment of writing.

    Looked up on every write rather than once, because test runners swap ``sys.stdout``
    for a buffer after the writer was made; text written to the text layer is flushed
    first so the two layers never reorder.
    """

    def write(self, data: bytes | bytearray) -> int:
        out = sys.stdout
        binary: IO[bytes] | None = getattr(out, "buffer", None)
        if binary is None:
            return out.write(bytes(data).decode("utf-8"))
        out.flush()
        return binary.write(data)

    def flush(self) -> None:
        out = sys.stdout
        out.flush()
        binary = getattr(out, "buffer", None)
        if binary is not None:
            binary.flush()


class OrjsonWriter(GenericSingerWriter[bytes, Message]):
    """Buffered orjson writer for singer-sdk taps: no flush per message, flush on STATE."""

    def __init__(self) -> None:
        super().__init__()
        self._writer = MessageWriter(StdoutSink())  # type: ignore[arg-type]
        atexit.register(self._flush_at_exit)

    def serialize_message(self, message: Message) -> bytes:
        return orjson.dumps(
            message.to_dict(), default=json_default, option=orjson.OPT_APPEND_NEWLINE
        )

    def write_message(self, message: Message) -> None:
        if type(message) is RecordMessage:
            self._writer.write_record(
                message.stream,
                message.record,
                version=message.version,
                time_extracted=message.time_extracted,
            )
        else:
            self._writer.write(message.to_dict())

    def write_lines(self, lines: bytes) -> None:
        """Write already-encoded message lines (each ending in a newline), in call order.

        For plugins that encode a whole batch of RECORD lines in C (see tap-csv); the lines
        share the buffer with the messages singer-sdk writes, so order is kept.
        """
        self._writer.write_raw(lines)

    def flush(self) -> None:
        self._writer.flush()

    def _flush_at_exit(self) -> None:
        """Flush what is left; a reader that went away (``| head``) is not an error."""
        try:
            self._writer.flush()
        except BrokenPipeError:
            # Python would report the broken pipe again when it closes stdout at shutdown.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class OrjsonReader(GenericSingerReader[str]):
    """orjson reader for singer-sdk targets, reading stdin's binary buffer by default.

    ``messages`` is the :class:`~elt.protocol.MessageReader` of the current input, so a
    target that checks values late (Postgres rejects a value while parsing a COPY, many
    records later) can note ``messages.line_number`` per row and name the offending line.
    RECORDs skip the callback table and the per-type counter: that matters at a million.
    """

    def __init__(self, *, name: str = "<stdin>") -> None:
        super().__init__()
        self.name = name
        self.messages = MessageReader((), name=name)

    @property
    def default_input(self) -> IO[str]:
        return sys.stdin

    def deserialize_json(self, line: str | bytes) -> dict[str, Any]:
        value: dict[str, Any] = orjson.loads(line)
        return value

    def process_lines(
        self,
        file_input: IO[str] | IO[bytes] | None,
        callbacks: dict[str, Callable[[dict[str, Any]], None]],
    ) -> Counter[str]:
        source = file_input if file_input is not None else sys.stdin.buffer
        name = self.name if file_input is None else _name(source)
        self.messages = reader = MessageReader(source, name=name)
        on_record = callbacks[RECORD]
        stats: Counter[str] = Counter()
        records = 0
        message: dict[str, Any] = {}
        try:
            for message in reader:
                kind = message["type"]
                if kind == RECORD:
                    on_record(message)
                    records += 1
                else:
                    callbacks[kind](message)
                    stats[kind] += 1
        except EltError:
            raise
        except Exception as exc:
            # The SDK's own type is kept (its standard tests expect it); the note says
            # where, and input_error() turns it into one paragraph at the CLI.
            exc.add_note(f"{reader.name} line {reader.line_number}{_stream_of(message)}")
            raise
        finally:
            stats[RECORD] += records
        return stats


def input_error(exc: BaseException) -> ProtocolError | None:
    """The protocol error to report for a singer-sdk exception about bad input, else None."""
    if not isinstance(exc, INPUT_ERRORS):
        return None
    notes = getattr(exc, "__notes__", None)
    return ProtocolError(str(exc), where=notes[-1] if notes else None)


def _name(source: object) -> str:
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "<input>"


def _stream_of(message: dict[str, Any]) -> str:
    stream = message.get("stream")
    return f", stream {stream!r}" if isinstance(stream, str) else ""
