"""The lake writer: Singer messages in, committed files, a manifest and safe STATEs out.

One writer serves one run of a lake target. What it guarantees, and how:

- **A STATE never runs ahead of the data.** STATE values are held by
  :class:`~elt.sdk.lake.checkpoints.Checkpoints` until every file holding records received
  before them is committed (:meth:`Upload.commit` returned), then written to stdout.
- **Files rotate** after ``max_rows`` rows or ``max_bytes`` stored bytes, when their stream's
  SCHEMA changes (the next part has the new schema), when ``max_open_files`` are open (the
  one opened longest ago commits), and all at once when a STATE has waited
  ``commit_interval_seconds``.
- **The manifest comes before every STATE** (:mod:`~elt.sdk.lake.manifest`): it is rewritten
  to list every file committed so far before a STATE covering new files goes out, and a
  last time, marked complete, after the run's last file and before its final STATE. A
  table, when the writer is given one (:mod:`~elt.sdk.lake.tables`), is committed there too.
- **A failure commits nothing more.** Any error aborts every open upload (nothing of them
  becomes visible) and drops every held STATE; files committed before stay, complete, and
  the manifest lists exactly those the emitted STATEs cover.
- **A unit of a split run** (``ELT_UNIT``) names its files after the unit, commits its
  manifest last and holds its STATEs until then; the coordinator's finishing run lists the
  units in the run manifest (:mod:`~elt.sdk.lake.units`).
- **Committed rows are reported** (:func:`elt.sdk.log_committed`) as each file's upload
  commits, before the STATE that covers it: ``elt run`` counts a run's rows from these, so
  an aborted file's rows are never counted.

Records are handed to the file's encoder as they come; the hot path is a dict lookup, a
key check when the stream has key properties, and the encoder's append. The size of a file
is looked at only when its encoder hands a buffer on, so ``max_bytes`` is reached within
a buffer or two (Parquet row groups are written in the background).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from elt.errors import ProtocolError
from elt.protocol import UnitIdentity, record_line_prefix
from elt.sdk.io import OrjsonReader
from elt.sdk.lake.badinput import location, missing_key, record_before_schema
from elt.sdk.lake.checkpoints import Checkpoints
from elt.sdk.lake.formats import encoder_for, output_for, takes_raw_lines
from elt.sdk.lake.layout import Layout, Partition, new_run_id, record_date
from elt.sdk.lake.manifest import FileEntry, Manifest
from elt.sdk.lake.output import Encoder
from elt.sdk.lake.settings import LakeSettings
from elt.sdk.lake.store import ObjectStore
from elt.sdk.lake.tables import TableCommit
from elt.sdk.lake.units import finish_units, unit_entries
from elt.sdk.progress import log_committed

__all__ = ["LakeFile", "LakeWriter"]

logger = logging.getLogger(__name__)


@dataclass(eq=False, slots=True)
class LakeFile:
    """One file being written."""

    id: int
    stream: _Stream
    key: str
    part: int
    partition: Partition
    schema: int
    encoder: Encoder
    opened_at: float
    rows: int = 0


@dataclass(eq=False, slots=True)
class _Stream:
    name: str
    schema: Mapping[str, Any]
    keys: tuple[str, ...]
    schema_index: int
    next_part: int = 0
    current: LakeFile | None = None  # the one open file, unless date_field partitions
    files: dict[Partition, LakeFile] = field(default_factory=dict)


class LakeWriter:
    """Writes one run's messages to an :class:`ObjectStore`; see the module docstring.

    ``emit_state`` writes a STATE value to stdout (called only after its files committed).
    Any exception escaping a method leaves the writer aborted; call :meth:`abort` from an
    outer handler too (it is idempotent) for errors raised elsewhere, e.g. by the reader.
    """

    def __init__(
        self,
        store: ObjectStore,
        settings: LakeSettings,
        *,
        reader: OrjsonReader,
        emit_state: Callable[[Mapping[str, Any]], None],
        run_id: str | None = None,
        raw_records: bool = True,
        unit: UnitIdentity | None = None,
        table: TableCommit | None = None,
    ) -> None:
        self._store = store
        self._table = table
        self._settings = settings
        self._reader = reader
        self._layout = Layout(settings.path_template, settings.prefix)
        # a unit's files and manifest are named after it (see elt.sdk.lake.units)
        self.run_id = unit.id if unit is not None else run_id or new_run_id()
        self._finishing = finish_units(unit)
        self._unit = unit if self._finishing is None else None
        self._run_partition = Partition.of(datetime.now(UTC).date())
        self._manifest = Manifest(
            self.run_id, _public(settings), None if self._unit is None else self._unit.as_dict()
        )
        self._manifest_key = (
            self._layout.manifest_key(self.run_id)
            if self._unit is None
            else self._layout.unit_manifest_key(self.run_id)
        )
        self._unit_state: Mapping[str, Any] | None = None  # a unit's last STATE
        self._emit_state = emit_state
        self._checkpoints = Checkpoints(self._emit_after_manifest)
        self._streams: dict[str, _Stream] = {}
        self._early_versions: dict[str, int] = {}  # ACTIVATE_VERSIONs before their SCHEMA
        self._open: dict[int, LakeFile] = {}  # in the order they were opened
        self._next_id = 0
        self._date_field = settings.date_field
        self._max_rows = settings.max_rows
        self._max_bytes = settings.max_bytes
        self._done = False
        # whole RECORD lines of elt's spelling skip parsing where the file format allows
        self._raw_records = raw_records and not settings.date_field
        self.raw_lines = 0  # RECORD lines taken unparsed, which the reader does not count

    # --- messages ------------------------------------------------------------------------

    def schema(self, message: Mapping[str, Any]) -> None:
        """Register a stream's schema; a changed one commits the stream's open files."""
        name = message["stream"]
        schema = message["schema"]
        if not name:
            raise ProtocolError("a SCHEMA names the empty stream ''", where=self._where())
        if not isinstance(schema.get("properties"), dict):
            raise ProtocolError(
                "the SCHEMA has no properties",
                where=self._where(name),
                hint='a stream\'s schema must be {"type": "object", "properties": {...}}',
            )
        keys = tuple(message.get("key_properties") or ())
        stream = self._streams.get(name)
        if stream is not None and stream.schema == schema:
            stream.keys = keys
            return
        if stream is not None:
            for file in list(stream.files.values()):
                self._commit(file)
            self._checkpoints.emit_ready()
        index = self._manifest.schema(name, schema, keys)
        if stream is None:
            stream = self._streams[name] = _Stream(name, schema, keys, index)
            if name in self._early_versions:
                self._manifest.activate_version(name, self._early_versions.pop(name))
        else:
            stream.schema, stream.keys, stream.schema_index = schema, keys, index
        self._route(stream)

    def record(self, message: dict[str, Any]) -> None:
        """Hand one record to its file; the hot path."""
        stream = self._streams.get(message["stream"])
        if stream is None:
            raise record_before_schema(self._where(message["stream"]))
        record = message["record"]
        for key in stream.keys:
            if key not in record:
                raise missing_key(self._where(stream.name), key, stream.keys)
        file = stream.current
        if file is None:
            file = self._file_for(stream, record)
        flushed = file.encoder.add(record, self._reader.messages.line_number)
        file.rows += 1
        if file.rows >= self._max_rows or (flushed and file.encoder.output.size >= self._max_bytes):
            self._commit(file)
            self._checkpoints.emit_ready()

    def raw_record(self, stream: _Stream, line: bytes, number: int) -> None:
        """Hand one whole, unparsed RECORD line to its file (see :meth:`_route`)."""
        file = stream.current or self._open_file(stream, self._run_partition)
        flushed = file.encoder.add_raw(line, number)
        file.rows += 1
        self.raw_lines += 1
        if file.rows >= self._max_rows or (flushed and file.encoder.output.size >= self._max_bytes):
            self._commit(file)
            self._checkpoints.emit_ready()

    def state(self, value: Mapping[str, Any]) -> None:
        """Hold a STATE until its files are committed (commit them if it waited too long);
        a unit's, until the unit's manifest is written."""
        if self._unit is not None:
            self._unit_state = value
            return
        if self._open:
            oldest = next(iter(self._open.values()))
            if time.monotonic() - oldest.opened_at >= self._settings.commit_interval_seconds:
                for file in list(self._open.values()):
                    self._commit(file)
        self._checkpoints.state(value, self._open.keys())

    def activate_version(self, message: Mapping[str, Any]) -> None:
        """Note the stream's active table version in the manifest (readers act on it).

        Some taps send it before the stream's SCHEMA: it is then held and recorded when the
        SCHEMA arrives (the newest version wins); one that no SCHEMA ever follows has
        nothing to activate and is dropped at the end with one warning.
        """
        name = message["stream"]
        version = int(message["version"])
        if name in self._streams:
            self._manifest.activate_version(name, version)
        else:
            self._early_versions[name] = version

    def finish(self) -> Manifest:
        """Commit every open file, write the manifest, then emit the last STATE."""
        for name, version in self._early_versions.items():
            logger.warning(
                "ACTIVATE_VERSION %d for stream %r was ignored: no SCHEMA for the stream "
                "arrived, so there is nothing to activate",
                version,
                name,
            )
        for file in list(self._open.values()):
            self._commit(file)
        if self._finishing is not None:
            self._manifest.units = unit_entries(self._store, self._layout, self._finishing)
        self._publish(complete=True)
        self._done = True
        self._checkpoints.emit_ready()
        if self._unit_state is not None:
            self._emit_state(self._unit_state)
        for name in self._streams:
            files = [f for f in self._manifest.files if f.stream == name]
            logger.info(
                "Stream %r: %d rows in %d files", name, sum(f.rows for f in files), len(files)
            )
        logger.info("Manifest written to %s", self._store.describe(self._manifest_key))
        return self._manifest

    def abort(self) -> None:
        """Abort every open upload and drop held STATEs; idempotent."""
        self._checkpoints.discard()
        self._unit_state = None
        if self._done:
            return
        self._done = True
        for file in list(self._open.values()):
            try:
                file.encoder.abort()
                file.encoder.output.abort()
            except Exception as exc:  # keep aborting the others; the first error is reported
                logger.warning("Could not abort %s: %s", self._store.describe(file.key), exc)
        self._open.clear()

    def _emit_after_manifest(self, state: Mapping[str, Any]) -> None:
        """Emit a STATE, first listing in the manifest any file committed since the last."""
        if self._manifest.stale:
            self._publish(complete=False)
        self._emit_state(state)

    def _publish(self, *, complete: bool) -> None:
        """Make the files committed so far visible to readers: write the manifest, then
        commit them to the table, if there is one (:mod:`~elt.sdk.lake.tables`)."""
        self._store.put(self._manifest_key, self._manifest.to_json(complete=complete))
        if self._table is not None and self._unit is None:
            self._table.commit(self._manifest, complete=complete)

    # --- files ---------------------------------------------------------------------------

    def _route(self, stream: _Stream) -> None:
        """Let the reader hand this stream's RECORD lines over unparsed, when its files'
        format can take them (:attr:`~elt.sdk.lake.formats.FormatSpec.raw_lines`)."""
        routes = self._reader.messages.raw_records
        prefix = record_line_prefix(stream.name)
        routes.pop(prefix, None)
        if self._raw_records and takes_raw_lines(self._settings, stream.schema):
            routes[prefix] = lambda line, number: self.raw_record(stream, line, number)

    def _file_for(self, stream: _Stream, record: Mapping[str, Any]) -> LakeFile:
        if self._date_field is None:
            return self._open_file(stream, self._run_partition)
        partition = self._partition_of(stream, record)
        file = stream.files.get(partition)
        return file if file is not None else self._open_file(stream, partition)

    def _partition_of(self, stream: _Stream, record: Mapping[str, Any]) -> Partition:
        value = record.get(self._date_field or "")
        try:
            day = record_date(value)
        except ValueError as exc:
            raise ProtocolError(
                f"the date_field value {value!r} is not a date or date-time ({exc})",
                where=self._where(stream.name, self._date_field),
                hint="date_field must name a date or date-time property of every stream",
            ) from None
        return _partition(day)

    def _open_file(self, stream: _Stream, partition: Partition) -> LakeFile:
        if len(self._open) >= self._settings.max_open_files:
            self._commit(next(iter(self._open.values())))
            self._checkpoints.emit_ready()
        part = stream.next_part
        stream.next_part += 1
        key = self._layout.key(stream.name, partition, self.run_id, part, self._settings.extension)
        output = output_for(self._store.open(key), self._settings)
        name = stream.name
        source = self._reader.messages.name

        def where(line: int, path: str) -> str:
            return location(source, line, name, path)

        try:
            encoder = encoder_for(
                output,
                self._settings,
                stream.schema,
                where,
                stream.keys,
                stream=name,
                source=source,
            )
        except BaseException:
            output.abort()
            raise
        file = LakeFile(
            self._next_id, stream, key, part, partition, stream.schema_index, encoder,
            time.monotonic(),
        )  # fmt: skip
        self._next_id += 1
        self._open[file.id] = file
        stream.files[partition] = file
        if self._date_field is None:
            stream.current = file
        return file

    def _commit(self, file: LakeFile) -> None:
        """Finish and commit one file, then let the STATEs waiting for it go (not emit)."""
        file.encoder.finish()
        size = file.encoder.output.upload.commit()
        del self._open[file.id]
        stream = file.stream
        del stream.files[file.partition]
        if stream.current is file:
            stream.current = None
        self._manifest.add(
            FileEntry(
                stream.name,
                file.key,
                self._store.describe(file.key),
                file.part,
                file.partition.date,
                file.rows,
                size,
                file.schema,
            )
        )
        logger.debug("Committed %s (%d rows, %d bytes)", file.key, file.rows, size)
        log_committed(stream.name, file.rows)  # before any STATE it lets go
        self._checkpoints.committed(file.id)

    def _where(self, stream: str | None = None, prop: str | None = None) -> str:
        """The current input line, and the stream and property it is about."""
        messages = self._reader.messages
        if stream is None:
            return f"{messages.name} line {messages.line_number}"
        return location(messages.name, messages.line_number, stream, prop)


_PARTITIONS: dict[date | None, Partition] = {}


def _partition(day: date | None) -> Partition:
    """Partitions are few and records many: reuse one object per day."""
    partition = _PARTITIONS.get(day)
    if partition is None:
        partition = _PARTITIONS[day] = Partition.of(day)
    return partition


def _public(settings: LakeSettings) -> dict[str, Any]:
    """The lake settings as the manifest records them (store settings, secrets, are not)."""
    return {
        "format": settings.format,
        "compression": settings.compression,
        "path_template": settings.path_template,
        "prefix": settings.prefix,
        "date_field": settings.date_field,
    }
