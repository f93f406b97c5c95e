"""``CsvStream``: one entity's files as one Singer stream.

singer-sdk runs the stream (CLI, catalog, selection, state, stream maps, the standard
tests), but its per-record path — a generator step, ``post_process``, child contexts, a
record copy for deselection, type conformance, a message object and a writer call per
record — costs about 30 µs a row, seven times what reading and converting the row takes
(measured on 12-column rows: 34,000 rows/s through it, 250,000 without). So the stream
has its own record loop (:meth:`CsvStream.sync_records`, on :class:`elt.sdk.streams.LeanStream`)
and works a batch of rows at a time:

- **lean path** (the stream's only map is the identity, as without ``stream_maps``): each
  batch is converted a column at a time (:mod:`tap_csv.columns`), turned into dicts by a
  compiled builder and written as RECORD lines by one ``orjson.dumps`` of the batch
  (:mod:`tap_csv.records`), straight into elt's message buffer.
- **SDK path** (stream maps, or ``write_messages=False`` for singer-sdk's jsonl BATCH files):
  the same batches as Python values (``int``, ``Decimal``, ``bool``, ``str``) go through
  singer-sdk's own ``_write_record_message``, so maps, aliases and filters behave as in any
  SDK tap.
- **csv BATCH path** (``batch_config`` with format ``csv``, :mod:`elt.protocol.csvbatch`):
  each batch becomes CSV records a column at a time (:mod:`tap_csv.csvfields`) and goes into
  files
  (:mod:`tap_csv.batchfiles`) that target-postgres hands to ``COPY`` as they are, so no
  JSON is written or parsed for the rows.

All paths share the rest: files found again at sync time and skipped when unchanged since
the bookmark, rows filtered by the replication key, a new SCHEMA before any batch whose
values made a column widen (:mod:`tap_csv.converter`), and a STATE after finished files
(at most once a second) and at the end.

A partition read (``--partition``) reads one file, on any of the paths
(:mod:`tap_csv.partitions`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from elt.errors import ConfigError, ProtocolError
from elt.protocol.csvbatch import CsvBatchSettings
from elt.protocol.partitions import PartitionRequest
from elt.sdk import LeanStream, OrjsonWriter, encode_records, maps_are_identity, record_prefix
from elt.sdk.csvbatch import CsvBatchStream
from elt.sdk.partitions import PartitionedStream, StreamPlan
from tap_csv.batchfiles import BatchFiles
from tap_csv.bookmarks import Bookmarks
from tap_csv.columns import Encoding, Kind, Nulls
from tap_csv.converter import BatchConverter, Widening
from tap_csv.files import SourceFile, find_files
from tap_csv.inference import METADATA_COLUMNS, Column, Table, kind_of
from tap_csv.partitions import file_partitions, partition_file
from tap_csv.records import record_builder
from tap_csv.rows import CsvFile
from tap_csv.settings import EntitySettings

if TYPE_CHECKING:
    from singer_sdk import Tap

__all__ = ["BATCH_ROWS", "STATE_INTERVAL", "CsvStream"]

# A file's bookmark goes out in a STATE at most this often (seconds), and at the end of the
# stream: a folder of many small files must not send a STATE, holding every file, per file.
STATE_INTERVAL: Final = 1.0

# Rows converted together: enough that per-batch costs vanish, few enough that a batch and
# the objects made from it stay in the CPU cache and the cycle collector, which walks live
# containers every few hundred allocations, has little to walk (2000 rows run at half speed).
BATCH_ROWS: Final = 500


@dataclass(slots=True)
class _Chunk:
    """Records (or CSV records) of a batch of one file, the widenings they needed, or its end."""

    source: SourceFile
    records: list[Any] = field(default_factory=list)
    widenings: list[Widening] = field(default_factory=list)
    end_of_file: bool = False


class CsvStream(LeanStream, CsvBatchStream, PartitionedStream):
    """The records of an entity's CSV files, typed as its columns were discovered."""

    is_sorted = False  # files are not ordered by the replication key

    def __init__(self, tap: Tap, settings: EntitySettings, table: Table) -> None:
        super().__init__(tap, schema=table.schema(), name=settings.entity)
        self.settings = settings
        self.table = table
        self.primary_keys = settings.keys
        self.replication_key = settings.replication_key
        self._nulls = Nulls(settings.null_values)

    def get_records(self, context: Any) -> Iterable[dict[str, Any]]:
        """Every record of the entity's files as Python values, ignoring bookmarks.

        The sync does not go through here (see the module docstring); this is for code that
        reads a stream directly.
        """
        files = find_files(self.settings.path, where=f"{self.settings.where}.path")
        for chunk in self._chunks(files, self._output_columns(), Encoding.PYTHON, None):
            if chunk.widenings:
                self._widen_schema(chunk.widenings, write=False)
            yield from chunk.records

    def sync_records(
        self,
        context: Mapping[str, Any] | None,
        *,
        lean: OrjsonWriter | None,
        write_messages: bool,
    ) -> Iterator[dict[str, Any]]:
        columns = self._output_columns()
        bookmarks = self._bookmarks(columns)
        prefix = record_prefix(self.name)
        limit = self.ABORT_AT_RECORD_COUNT
        emitted = 0
        last_state = -STATE_INTERVAL  # the first finished file is bookmarked at once
        files, present = self._files()
        encoding = Encoding.PYTHON if lean is None else Encoding.JSON
        with self.get_record_counter() as counter, self.get_sync_timer():
            for chunk in self._chunks(files, columns, encoding, bookmarks):
                if chunk.widenings:
                    self._widen_schema(chunk.widenings, write=True)
                records = chunk.records
                over = limit is not None and emitted + len(records) > limit
                if over:
                    records = records[: max(0, limit - emitted)]  # type: ignore[operator]
                if lean is not None:
                    lean.write_lines(encode_records(prefix, records, self._stream_version))
                else:
                    for record in records:
                        if write_messages:
                            self._write_record_message(record)
                        yield record
                if records:
                    emitted += len(records)
                    counter.increment(len(records))
                    self.state_manager.is_flushed = False
                if over:
                    self._check_max_record_limit(emitted)
                if chunk.end_of_file:
                    bookmarks.file_done(chunk.source)
                    self.state_manager.is_flushed = False
                    if write_messages and time.monotonic() - last_state >= STATE_INTERVAL:
                        self._write_state_message()
                        last_state = time.monotonic()
            bookmarks.finish(present)
            self.state_manager.is_flushed = False
        if write_messages:
            self._write_state_message()

    def sync_csv_batches(self, settings: CsvBatchSettings) -> None:
        """Write the rows to csv BATCH files, each announced before the messages after it.

        Order on stdout: a file's BATCH message goes out before a SCHEMA that widens a
        column (the next file starts under the new SCHEMA) and before a STATE (whose
        bookmark covers the file's rows), so every message sees the same order of rows and
        schemas as RECORD messages would give.
        """
        columns = self._output_columns()
        self._check_csv_batches(columns)
        bookmarks = self._bookmarks(columns)
        batches = BatchFiles(
            settings, tap=self.tap_name, stream=self.name, header=[c.name for c in columns]
        )
        limit = self.ABORT_AT_RECORD_COUNT
        emitted = 0
        last_state = -STATE_INTERVAL
        files, present = self._files()
        try:
            with self.get_record_counter() as counter, self.get_sync_timer():
                for chunk in self._chunks(files, columns, Encoding.CSV, bookmarks):
                    if chunk.widenings:
                        self.announce(batches.finish(), settings)
                        self._widen_schema(chunk.widenings, write=True)
                    lines = chunk.records
                    over = limit is not None and emitted + len(lines) > limit
                    if over:
                        lines = lines[: max(0, limit - emitted)]  # type: ignore[operator]
                    for url in batches.write(lines):
                        self.announce(url, settings)
                    emitted += len(lines)
                    counter.increment(len(lines))
                    if over:
                        self.announce(batches.finish(), settings)
                        self._check_max_record_limit(emitted)
                    if chunk.end_of_file:
                        bookmarks.file_done(chunk.source)
                        self.state_manager.is_flushed = False
                        if time.monotonic() - last_state >= STATE_INTERVAL:
                            self.announce(batches.finish(), settings)
                            self._write_state_message()
                            last_state = time.monotonic()
                bookmarks.finish(present)
                self.announce(batches.finish(), settings)
        except BaseException:
            batches.discard()
            raise
        self.state_manager.is_flushed = False
        self._write_state_message()
        writer = self._tap.message_writer
        if isinstance(writer, OrjsonWriter):
            writer.flush()

    def plan_partitions(self) -> StreamPlan:
        """One partition per file (:mod:`tap_csv.partitions`)."""
        return StreamPlan(file_partitions(self.settings.path, self._find_files()))

    def check_partition(self, request: PartitionRequest) -> None:
        partition_file(request, self.settings.path, self._find_files(), self.name)

    def _find_files(self) -> list[SourceFile]:
        return find_files(self.settings.path, where=f"{self.settings.where}.path")

    def _files(self) -> tuple[list[SourceFile], list[SourceFile]]:
        """The files to read, and every file of the stream (whose bookmarks are kept)."""
        present = self._find_files()
        if self.partition is None:
            return present, present
        return [partition_file(self.partition, self.settings.path, present, self.name)], present

    def _check_csv_batches(self, columns: Sequence[Column]) -> None:
        if not maps_are_identity(self):
            raise ConfigError(
                f"stream {self.name!r} has a stream map, which csv BATCH files do not apply",
                where="stream_maps",
                hint="Remove the map, or send RECORD messages (no batch_config) or jsonl "
                "batches, which go through singer-sdk's record path",
            )
        if not columns:
            raise ConfigError(
                f"no column of stream {self.name!r} is selected, and a csv BATCH file "
                "needs at least one",
                where=f"catalog stream {self.name!r}",
                hint="Select a column in the catalog, or deselect the stream",
            )

    def _bookmarks(self, columns: Sequence[Column]) -> Bookmarks:
        key_kind = next((c.kind for c in columns if c.name == self.replication_key), None)
        return Bookmarks(self.stream_state, self.name, self.replication_key, key_kind)

    def _chunks(
        self,
        files: Sequence[SourceFile],
        columns: Sequence[Column],
        encoding: Encoding,
        bookmarks: Bookmarks | None,
    ) -> Iterator[_Chunk]:
        """Read every file not skipped by the bookmark, a batch at a time.

        A chunk holds record dicts, or CSV records (lines without their ends) for csv BATCH
        files.
        """
        converter = BatchConverter(columns, self._nulls, encoding)
        build = record_builder([column.name for column in columns])
        csv = encoding is Encoding.CSV
        known = set(self.effective_schema.get("properties", {}))
        key_index = next(
            (i for i, c in enumerate(columns) if c.name == self.replication_key and bookmarks),
            None,
        )
        for source in files:
            if bookmarks is not None and self._skippable() and bookmarks.unchanged(source):
                self.logger.info("Skipping %s: unchanged since the last run", source.path)
                continue
            with CsvFile(source, self.settings) as csv_file:
                if csv_file.header is not None:
                    _check_known(csv_file.header, known, source, self.name)
                    positions = converter.positions(csv_file.header)
                    for batch in csv_file.batches(BATCH_ROWS):
                        values, widenings = converter.convert(batch, source, positions)
                        if csv:
                            records: list[Any] = list(map(",".join, zip(*values, strict=True)))
                        elif values:
                            records = list(map(build, *values))
                        else:
                            records = [{} for _ in batch.rows]
                        if key_index is not None and bookmarks is not None:
                            self._check_key_widening(widenings, batch.line_of, source, bookmarks)
                            keep = bookmarks.keep(converter.python_values(key_index))
                            if keep is not None:
                                records = [records[i] for i in keep]
                        yield _Chunk(source, records, widenings)
            yield _Chunk(source, end_of_file=True)

    def _output_columns(self) -> list[Column]:
        """The selected columns, typed by the catalog's schema unless the config declares them.

        A catalog passed with ``--catalog`` is usually an earlier discovery, possibly edited,
        so its types are where the sync starts; declared types and metadata columns always
        come from the config.
        """
        fixed = {
            column.name: column
            for column in self.table.columns
            if column.declared or column.name in METADATA_COLUMNS
        }
        mask = self.mask
        columns: list[Column] = []
        for name, prop in self.effective_schema.get("properties", {}).items():
            if not mask.get(("properties", name), True):
                continue
            if name in fixed:
                columns.append(fixed[name])
                continue
            kind, nullable = kind_of(prop, where=f"catalog stream {self.name!r}, property {name!r}")
            columns.append(Column(name, kind, nullable=nullable))
        return columns

    def _widen_schema(self, widenings: Sequence[Widening], *, write: bool) -> None:
        """Put the widened columns in the stream's schema, and send the new SCHEMA."""
        for schema in (self._schema, self._input_schema):
            if schema is not None:
                for widening in widenings:
                    schema["properties"][widening.after.name] = widening.after.property()
        for widening in widenings:
            before, after = widening.before, widening.after
            self.logger.warning(
                "Column %r of stream %r changed from %s to %s for value(s) the sample did not "
                "show; a new SCHEMA precedes the records that need it",
                after.name,
                self.name,
                _describe(before),
                _describe(after),
            )
        selected = dict(self.effective_schema)
        selected["properties"] = {
            name: prop
            for name, prop in self.effective_schema["properties"].items()
            if self.mask.get(("properties", name), True)
        }
        self._tap.mapper.register_raw_stream_schema(self.name, selected, self.primary_keys)
        self._stream_maps = None
        if write:
            self._write_schema_message()

    def _check_key_widening(
        self,
        widenings: Sequence[Widening],
        line_of: Callable[[int], int],
        source: SourceFile,
        bookmarks: Bookmarks,
    ) -> None:
        """A replication key may widen integer → number, never to text: it must still order."""
        for widening in widenings:
            if widening.after.name != self.replication_key:
                continue
            if widening.after.kind is Kind.STRING and widening.before.kind is not Kind.STRING:
                raise ProtocolError(
                    f"the replication key column holds a value that is not a "
                    f"{widening.before.kind.value}, so rows can no longer be ordered by it",
                    where=f"{source.path} line {line_of(widening.index)}, column "
                    f"{widening.after.name!r}",
                    hint="Fix the value, or choose another `replication_key`",
                )
            bookmarks.kind = widening.after.kind

    def _skippable(self) -> bool:
        """Whether unchanged files may be skipped.

        Not when the stream is replaced as a whole (FULL_TABLE with ACTIVATE_VERSION): a
        target would delete the rows of every file this run did not send.
        """
        return not (self.replication_method == "FULL_TABLE" and self.emit_activate_version_messages)


def _check_known(header: Sequence[str], known: set[str], source: SourceFile, stream: str) -> None:
    unknown = [name for name in header if name not in known]
    if unknown:
        raise ProtocolError(
            f"column {unknown[0]!r} is not in the schema of stream {stream!r}",
            where=f"{source.path} line 1",
            hint="The file is newer than the catalog: discover again (tap-csv --discover) "
            "so the column is part of the stream",
        )


def _describe(column: Column) -> str:
    return column.kind.value + ("" if column.nullable else " (not null)")
