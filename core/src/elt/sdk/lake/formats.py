"""Encoding one lake file: JSONL, CSV or Parquet bytes, compressed, streamed to its Upload.

Each encoder holds at most ``buffer_size`` bytes of records (estimated for the columnar
formats), then encodes them and hands the bytes on, so memory does not grow with the file:

- :class:`JsonlEncoder` appends each record's orjson bytes to a buffer (numbers the reader
  kept exact, ``Decimal`` and >64-bit integers, are written digit for digit by
  :func:`elt.protocol.dumps`).
- :class:`ColumnarEncoder` keeps the records of one buffer, converts them to typed Arrow
  columns (:mod:`elt.sdk.lake.columns`) and writes them as one Parquet row group or one run
  of CSV lines through pyarrow's writers.

:class:`Output` sits between an encoder and the store: text formats are compressed here as
a whole file (gzip through the standard library's zlib, streaming; zstd as one frame per
buffer through pyarrow's codec — concatenated frames are one valid zstd file, which zstd,
pyarrow and every conforming reader decode), Parquet compresses its pages itself.
"""

from __future__ import annotations

import json as stdlib_json
import re
import zlib
from array import array
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, Protocol

import orjson

from elt.errors import ProtocolError
from elt.protocol import dumps, json_default, record_line_prefix
from elt.sdk.lake.columns import (
    DATE,
    DOUBLE,
    JSON,
    TEXT,
    BadValue,
    Column,
    has_tiny_number,
    holds_numbers,
    holds_text,
    json_leaves,
    number_leaves,
    plan,
    to_arrays,
)
from elt.sdk.lake.rawrecords import line_schema, record_table, records_of
from elt.sdk.lake.settings import LakeSettings
from elt.sdk.lake.store import Upload
from elt.sdk.lake.worker import Worker

__all__ = [
    "ColumnarEncoder",
    "Encoder",
    "JsonlEncoder",
    "Output",
    "encoder_for",
    "takes_raw_lines",
]

DEFAULT_LEVELS: Final = {"gzip": 6, "zstd": 3}
_NEWLINE: Final = orjson.OPT_APPEND_NEWLINE
_orjson_dumps: Final = orjson.dumps
_orjson_loads: Final = orjson.loads
_encode_error: Final = orjson.JSONEncodeError
_decode_error: Final = orjson.JSONDecodeError
# what elt's writers put after a RECORD line's record
_WRITERS_TAIL: Final = re.compile(rb'(?:,"version":-?[0-9]+)?(?:,"time_extracted":"[^"\\]*")?')


def _json_text(value: Any) -> str:
    """A value's JSON text (orjson; elt's dumps for what it refuses: >64-bit integers)."""
    try:
        return _orjson_dumps(value, default=json_default).decode()
    except _encode_error:
        return dumps(value).decode()


# (input line, property path) -> "where" text of an error
Where = Callable[[int, str], str]


class Output:
    """The bytes of one file on their way to its :class:`Upload`, compressed and counted.

    Also the file object pyarrow's Parquet and CSV writers write to (``write``, ``flush``,
    ``close``, ``closed``); closing it does not commit — :meth:`finish` ends the stream.
    Compression and the upload's writes run on a :class:`~elt.sdk.lake.worker.Worker`
    thread; :attr:`size` counts compressed bytes sent plus raw bytes still queued, so
    rotation by ``max_bytes`` errs on the small side.
    """

    closed = False

    def __init__(self, upload: Upload, compression: str, level: int | None) -> None:
        self.upload = upload
        self._compress: Callable[[bytes], bytes] | None = None
        self._tail: Callable[[], bytes] | None = None
        if compression == "gzip":
            gzip = zlib.compressobj(level or DEFAULT_LEVELS["gzip"], zlib.DEFLATED, 31)
            self._compress, self._tail = gzip.compress, gzip.flush
        elif compression == "zstd":
            import pyarrow as pa

            codec = pa.Codec("zstd", compression_level=level or DEFAULT_LEVELS["zstd"])
            self._compress = lambda data: codec.compress(data, asbytes=True)
        self._sent = 0  # compressed bytes written to the upload (by the worker only)
        self._queued = 0  # raw bytes submitted (by the writer only)
        self._taken = 0  # raw bytes the worker is done with (by the worker only)
        self._worker = Worker("lake-upload")

    @property
    def size(self) -> int:
        return self._sent + self._queued - self._taken

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self.closed:  # aborted: pyarrow may still flush its buffers when collected
            return len(data)
        chunk = bytes(data)
        self._queued += len(chunk)
        self._worker.submit(lambda: self._send(chunk))
        return len(chunk)

    def flush(self) -> None:
        """Nothing to do: the upload sends parts as they fill."""

    def close(self) -> None:
        """pyarrow closes its file at the end of a Parquet file; :meth:`finish` follows."""

    def abort(self) -> None:
        """Stop sending and abort the upload; later writes are dropped."""
        self.closed = True
        self._worker.cancel()
        self.upload.abort()

    def finish(self) -> None:
        """Send everything and the compressor's tail; the upload is then ready to commit."""
        self._worker.close()
        if self._tail is not None:
            self._write(self._tail())

    def _send(self, chunk: bytes) -> None:
        try:
            self._write(self._compress(chunk) if self._compress is not None else chunk)
        finally:
            self._taken += len(chunk)

    def _write(self, data: bytes) -> None:
        if data:
            self.upload.write(data)
            self._sent += len(data)


class Encoder(Protocol):
    """Turns the records of one file into bytes on an :class:`Output`."""

    output: Output

    def add(self, record: dict[str, Any], line: int) -> bool:
        """Take one record (``line``: its input line, for errors found later); True when
        that filled the buffer and it was handed on (the output's size then grew)."""
        ...

    def add_raw(self, line: bytes, number: int) -> bool:
        """Take one whole RECORD line in elt's spelling, unparsed (only when
        :func:`takes_raw_lines` said so); as :meth:`add`."""
        ...

    def finish(self) -> None:
        """Encode what is buffered and end the file (footer, compressor tail)."""
        ...

    def abort(self) -> None:
        """Stop encoding; nothing more reaches the output (which is aborted next)."""
        ...


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


class ColumnarEncoder:
    """CSV or Parquet: buffers records as JSON lines, writes each buffer as typed columns.

    The buffer is the records' orjson bytes (so ``buffer_size`` is exact and memory small),
    converted by pyarrow's multi-threaded JSON reader against the schema of the columns —
    in C++, several times faster than taking columns out of Python dicts. Columns pyarrow
    cannot type from JSON (nested values kept as JSON text, CSV's text) are turned into
    strings as the record arrives. When pyarrow refuses a buffer, the records are parsed
    again exactly and converted in Python (:func:`elt.sdk.lake.columns.to_arrays`), which
    accepts what is lossless (``1.0`` as an integer, naive date-times as UTC) and otherwise
    names the record's input line and the property.
    """

    def __init__(
        self,
        output: Output,
        settings: LakeSettings,
        schema: Mapping[str, Any],
        where: Where,
        keys: Sequence[str] = (),
        *,
        stream: str = "",
        source: str = "<input>",
    ) -> None:
        import pyarrow as pa
        from pyarrow import json

        _use_jemalloc()
        self.output = output
        self._where = where
        self._keys = tuple(keys)
        self._stream = stream
        self._source = source
        self._columns: Sequence[Column] = _plan(settings, schema)
        # converted to text as records arrive: pyarrow's JSON reader types no value as text
        self._as_json = tuple(c.name for c in self._columns if c.kind == JSON)
        self._as_text = tuple(c.name for c in self._columns if c.kind == TEXT)
        self._json_inside = tuple(
            (c.name, leaves)
            for c in self._columns
            if c.kind not in (JSON, TEXT) and (leaves := json_leaves(c)) is not None
        )
        self._dates = [i for i, c in enumerate(self._columns) if c.kind == DATE]
        self._number_columns = [(i, c) for i, c in enumerate(self._columns) if holds_numbers(c)]
        fields = [pa.field(c.name, c.arrow_type()) for c in self._columns]
        self._schema = pa.schema(fields, metadata={"elt.singer_schema": dumps(schema)})
        # pyarrow's JSON reader reads a date from a string only as a string: cast after
        json_fields = [pa.field(f.name, pa.string()) if i in self._dates else f
                       for i, f in enumerate(fields)]  # fmt: skip
        self._parse_options = json.ParseOptions(
            explicit_schema=pa.schema(json_fields), unexpected_field_behavior="error"
        )
        self._line_options = json.ParseOptions(
            explicit_schema=line_schema(json_fields), unexpected_field_behavior="error"
        )
        self._buffer_size = settings.buffer_size
        self._buffer = bytearray()
        self._lines = array("q")
        self._raw = bytearray()  # whole RECORD lines, routed unparsed (rawrecords)
        self._raw_lines = array("q")
        self._writer = self._open_writer(settings)
        # Typing a buffer and writing its row group release the GIL: run them on a thread
        # while the next buffer fills (one waiting, so at most ~3 buffers in memory).
        self._worker = Worker("lake-encode", depth=1)

    def _open_writer(self, settings: LakeSettings) -> Any:
        import pyarrow as pa

        # pyarrow writes pages and CSV batches in small pieces: one Python call per MiB
        self._sink = pa.BufferedOutputStream(pa.PythonFile(self.output, mode="w"), 1024 * 1024)
        if settings.format == "csv":
            from pyarrow import csv

            options = csv.WriteOptions(include_header=True, quoting_style="needed")
            return csv.CSVWriter(self._sink, self._schema, write_options=options)
        from pyarrow import parquet

        codec = settings.compression
        return parquet.ParquetWriter(
            self._sink,
            self._schema,
            compression="NONE" if codec == "none" else codec,
            compression_level=settings.compression_level,
        )

    def add_raw(self, line: bytes, number: int) -> bool:
        """Take one whole RECORD line of elt's spelling, unparsed; see :meth:`add`."""
        if self._buffer:
            self._flush()  # rows keep their input order
        self._raw += line
        if line[-1:] != b"\n":  # lines split from a chunk have lost theirs
            self._raw += b"\n"
        self._raw_lines.append(number)
        if len(self._raw) < self._buffer_size:
            return False
        self._flush_raw()
        return True

    def add(self, record: dict[str, Any], line: int) -> bool:
        if self._raw:
            self._flush_raw()
        for name in self._as_json:  # a nested column holds the JSON text of any value
            value = record.get(name)
            if value is not None:
                record[name] = _json_text(value)
        for name in self._as_text:
            value = record.get(name)
            if value is not None and type(value) is not str:
                record[name] = _json_text(value)
        for name, leaves in self._json_inside:  # parquet structs holding nested columns
            value = record.get(name)
            if value is not None:
                record[name] = leaves(value)
        try:
            self._buffer += _orjson_dumps(record, default=json_default, option=_NEWLINE)
        except _encode_error:
            self._buffer += dumps(record, _NEWLINE)  # integers beyond 64 bits
        self._lines.append(line)
        if len(self._buffer) < self._buffer_size:
            return False
        self._flush()
        return True

    def finish(self) -> None:
        self._flush()
        self._flush_raw()
        self._worker.close()
        self._writer.close()
        if not self._sink.closed:
            self._sink.close()  # flushes the buffer into the output
        self.output.finish()

    def abort(self) -> None:
        """Stop encoding (the writer aborts the output next)."""
        self._worker.cancel()

    def _flush(self) -> None:
        if not self._buffer:
            return
        data, lines = self._buffer, self._lines
        self._buffer = bytearray()
        self._lines = array("q")
        self._worker.submit(lambda: self._writer.write_table(self._table(data, lines)))

    def _flush_raw(self) -> None:
        if not self._raw:
            return
        data, lines = self._raw, self._raw_lines
        self._raw = bytearray()
        self._raw_lines = array("q")
        self._worker.submit(lambda: self._writer.write_table(self._raw_table(data, lines)))

    def _raw_table(self, data: bytearray, lines: array[int]) -> Any:
        import pyarrow as pa

        table = record_table(data, self._line_options, self._keys)
        if table is not None:
            try:
                typed = self._typed(table)
                if self._numbers_exact(typed, data):
                    return typed
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                pass
        rows = records_of(data, lines, self._keys, self._source, self._stream)
        return pa.Table.from_arrays(self._arrays(rows, lines), schema=self._schema)

    def _table(self, data: bytearray, lines: array[int]) -> Any:
        import pyarrow as pa
        from pyarrow import json

        try:
            table = json.read_json(
                pa.py_buffer(data),
                read_options=json.ReadOptions(block_size=max(1 << 20, len(data) // 2 + 1)),
                parse_options=self._parse_options,
            )
            typed = self._typed(table)
            if self._numbers_exact(typed, data):
                return typed
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
        rows = [_exact_json(line) for line in data.splitlines()]
        return pa.Table.from_arrays(self._arrays(rows, lines), schema=self._schema)

    def _numbers_exact(self, table: Any, data: bytes | bytearray) -> bool:
        """Whether pyarrow's JSON reader kept every number of the buffer: it reads a number
        beyond a double's range as infinity or 0, and one with a very small exponent into a
        decimal column as 0, without a word. Infinities are looked for in the columns (in
        C); the buffer's text is searched for a tiny number only when a number column holds
        a 0. False sends the buffer to the exact conversion, which names the value."""
        import pyarrow as pa
        import pyarrow.compute as pc

        zero = False
        for index, column in self._number_columns:
            for chunk in table.column(index).chunks:
                for kind, leaf in number_leaves(chunk, column):
                    if kind == DOUBLE and pc.any(pc.is_inf(leaf)).as_py():
                        return False
                    if not zero:
                        nothing = pa.scalar(0.0 if kind == DOUBLE else Decimal(0), leaf.type)
                        zero = bool(pc.any(pc.equal(leaf, nothing)).as_py())
        return not (zero and has_tiny_number(data))

    def _typed(self, table: Any) -> Any:
        """A table as pyarrow read it (dates as text) in the file's schema."""
        import pyarrow as pa

        for index in self._dates:
            table = table.set_column(
                index, self._schema.field(index), table.column(index).cast(pa.date32())
            )
        return table.cast(self._schema)

    def _arrays(self, rows: list[dict[str, Any]], lines: array[int]) -> list[Any]:
        names = frozenset(c.name for c in self._columns)
        for index, row in enumerate(rows):
            extra = row.keys() - names
            if extra:
                raise self._error(
                    BadValue(index, sorted(extra)[0], "the record has a property its SCHEMA "
                             "does not declare"),
                    lines,
                    hint="csv and parquet columns come from the SCHEMA; declare the property "
                    "there, or write jsonl",
                )  # fmt: skip
        try:
            return to_arrays(rows, self._columns)
        except BadValue as bad:
            raise self._error(bad, lines) from None

    def _error(self, bad: BadValue, lines: array[int], hint: str | None = None) -> ProtocolError:
        return ProtocolError(
            bad.problem,
            where=self._where(lines[bad.row], bad.path),
            hint=hint or "fix the tap or its SCHEMA; no open file of this run was committed",
        )


def _use_jemalloc() -> None:
    """Prefer pyarrow's jemalloc pool where the wheel has it: mimalloc, the default, kept
    ~50% more memory cached in a 1M-row Parquet load, and jemalloc was no slower."""
    import pyarrow as pa

    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:
        return
    if pa.default_memory_pool().backend_name != pool.backend_name:
        pa.set_memory_pool(pool)


def _exact_json(line: bytes | bytearray) -> dict[str, Any]:
    """A buffered record parsed back with every digit (the slow path only)."""
    value: dict[str, Any] = stdlib_json.loads(line, parse_float=Decimal)
    return value


def takes_raw_lines(settings: LakeSettings, schema: Mapping[str, Any]) -> bool:
    """Whether a stream's whole RECORD lines may skip parsing (``add_raw``): JSONL files,
    and Parquet files with no value, at any depth, that must become text first."""
    if settings.format != "parquet":
        return settings.format == "jsonl"
    return not any(holds_text(column) for column in _plan(settings, schema))


def _plan(settings: LakeSettings, schema: Mapping[str, Any]) -> list[Column]:
    """The typed columns of a stream's SCHEMA, as these settings lay them out."""
    return plan(
        schema.get("properties") or {},
        text_only=settings.format == "csv",
        number=settings.parquet_number,
        scale=settings.decimal_scale,
        struct=settings.nested == "struct",
    )


def encoder_for(
    output: Output,
    settings: LakeSettings,
    schema: Mapping[str, Any],
    where: Where,
    keys: Sequence[str] = (),
    *,
    stream: str = "",
    source: str = "<input>",
) -> Encoder:
    """The encoder of ``settings.format`` writing to ``output``."""
    if settings.format == "jsonl":
        return JsonlEncoder(output, settings.buffer_size, keys, stream=stream, source=source)
    return ColumnarEncoder(output, settings, schema, where, keys, stream=stream, source=source)
