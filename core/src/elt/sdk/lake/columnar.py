"""Columnar lake formats written by pyarrow (CSV, Parquet): typed columns from the SCHEMA.

:class:`ColumnarEncoder` keeps the records of one buffer (at most ``buffer_size`` bytes of
their JSON), converts them to typed Arrow columns (:mod:`elt.sdk.lake.columns`) and hands
the table to its format's :class:`ArrowWriter` — one Parquet row group, one run of CSV
lines — on a worker thread while the next buffer fills. A format of this kind is an
:class:`ArrowWriter` (how pyarrow opens its writer on the file, and whether every column is
text) in its :mod:`~elt.sdk.lake.formats` entry.
"""

from __future__ import annotations

import json as stdlib_json
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import orjson

from elt.errors import ProtocolError
from elt.protocol import dumps, json_default
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
from elt.sdk.lake.output import Output, Where
from elt.sdk.lake.rawrecords import line_schema, record_table, records_of
from elt.sdk.lake.worker import Worker

if TYPE_CHECKING:
    from elt.sdk.lake.settings import LakeSettings

__all__ = ["ArrowWriter", "ColumnarEncoder", "columns_from_json", "plan_columns"]

_NEWLINE: Final = orjson.OPT_APPEND_NEWLINE
_orjson_dumps: Final = orjson.dumps
_encode_error: Final = orjson.JSONEncodeError


@dataclass(frozen=True, slots=True)
class ArrowWriter:
    """How pyarrow writes one columnar format.

    ``open(sink, schema, settings)`` returns a writer with ``write_table`` and ``close``
    (pyarrow's ``ParquetWriter``, ``csv.CSVWriter``) on ``sink``; ``text_only`` says every
    column is text (CSV: values are written as their JSON text, never typed).
    """

    open: Callable[[Any, Any, LakeSettings], Any]
    text_only: bool = False


def plan_columns(
    settings: LakeSettings, schema: Mapping[str, Any], text_only: bool
) -> list[Column]:
    """The typed columns of a stream's SCHEMA, as these settings lay them out."""
    return plan(
        schema.get("properties") or {},
        text_only=text_only,
        number=settings.parquet_number,
        scale=settings.decimal_scale,
        struct=settings.nested == "struct",
    )


def columns_from_json(settings: LakeSettings, schema: Mapping[str, Any]) -> bool:
    """Whether pyarrow's JSON reader can type every column straight from RECORD lines:
    no value, at any depth, must become text first (so whole lines may skip parsing)."""
    return not any(holds_text(column) for column in plan_columns(settings, schema, False))


def _json_text(value: Any) -> str:
    """A value's JSON text (orjson; elt's dumps for what it refuses: >64-bit integers)."""
    try:
        return _orjson_dumps(value, default=json_default).decode()
    except _encode_error:
        return dumps(value).decode()


class ColumnarEncoder:
    """An Arrow-written format: buffers records as JSON lines, writes each buffer as typed
    columns through its :class:`ArrowWriter`.

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
        writer: ArrowWriter,
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
        self._columns: Sequence[Column] = plan_columns(settings, schema, writer.text_only)
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
        # pyarrow writes pages and CSV batches in small pieces: one Python call per MiB
        self._sink = pa.BufferedOutputStream(pa.PythonFile(self.output, mode="w"), 1024 * 1024)
        self._writer = writer.open(self._sink, self._schema, settings)
        # Typing a buffer and writing its row group release the GIL: run them on a thread
        # while the next buffer fills (one waiting, so at most ~3 buffers in memory).
        self._worker = Worker("lake-encode", depth=1)

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
