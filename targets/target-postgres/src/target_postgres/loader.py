"""The load loop: records stream into COPY as they arrive, one transaction per batch.

Design, and why:

- **One connection, one transaction per batch, commits only at a STATE.** Everything since
  the last commit — rows of every stream, the DDL their SCHEMA messages needed,
  ACTIVATE_VERSION deletes — commits together, right where a STATE arrived, and that STATE
  is written to stdout at once. So whatever is committed is covered by a written STATE: a
  failure rolls back exactly what came after the last one, and a rerun from it neither
  loses nor duplicates a row. A batch ends at a STATE once it holds ``batch_size_rows``
  rows or is older than ``max_batch_age_seconds``, and at the end of the input. Past
  ``batch_size_rows`` rows without a STATE the open COPY is ended and staged rows merged
  (a *checkpoint*, inside the transaction), so memory stays bounded however long a tap
  goes without a STATE.
- **COPY stays open while records arrive.** Each record becomes one CSV line
  (:mod:`target_postgres.rows`, :mod:`target_postgres.copydata`) queued on its stream;
  blocks of them go to the connection's one open COPY, a
  :class:`~target_postgres.copysession.CopySession`, while Python parses the next JSON
  lines, so memory does not grow with the batch. Lines of a stream whose COPY is not the
  open one wait and go when enough are queued or the batch ends; interleaved streams cost
  one COPY switch per few thousand rows.
- **Upserts without a second copy when possible** (see :mod:`target_postgres.stream`): the
  blocks of a DIRECT COPY are kept until it ends, to replay into staging on a key conflict.
- **csv BATCH files go to COPY as they are** (:mod:`target_postgres.csvbatch`): no row
  passes through Python; the file's header names the columns. Rows that need columns the
  file cannot carry (record metadata, a table version) get them from defaults of the
  staging table.
- **A unit of a split run** (``ELT_UNIT``) commits once, at the end of its input, with a
  row of the unit ledger; its rows reach their tables only then (see
  :mod:`target_postgres.units`, which explains how units share tables safely).
- **Late errors still name their record.** The COPY session keeps the input line of
  every row it sent, so an error Postgres reports as "COPY line 5123" is reported as the
  Singer line of that record (see :mod:`target_postgres.failures`).

The loader owns the open batch (what it holds, when it commits, which STATE that covers)
and decides when rows move; the work is done by objects with their own state:

- :class:`~target_postgres.schemas.Schemas`: a SCHEMA message → a stream, its table made to fit;
- :class:`~target_postgres.copysession.CopySession`: the connection's open COPY;
- :class:`~target_postgres.staging.Staging`: the staging tables, and merging them;
- :class:`~target_postgres.csvfiles.CsvFiles`: which way a csv BATCH file goes in;
- :class:`~target_postgres.activation.Activations`: ACTIVATE_VERSION, now or later.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import orjson
import psycopg
from singer_sdk.exceptions import RecordsWithoutSchemaException

from elt.errors import ProtocolError
from elt.sdk import OrjsonReader, log_committed
from elt.sdk.batch import batch_compression, batch_files
from target_postgres.activation import Activations
from target_postgres.careful import CarefulEncoder
from target_postgres.copydata import csv_safe
from target_postgres.copysession import CHUNK_ROWS, SWITCH_ROWS, CopySession
from target_postgres.csvfiles import CsvFiles
from target_postgres.failures import database_failure
from target_postgres.rows import (
    BadEncoding,
    Clock,
    KeyMissing,
    NeedsVersion,
    NulCharacter,
    Sparse,
    TooDeep,
    sequence_from,
)
from target_postgres.schemas import Schemas, same_schema
from target_postgres.settings import Settings
from target_postgres.staging import Staging
from target_postgres.stream import Mode, Stream
from target_postgres.units import Unit, activation_in_unit
from target_postgres.validation import RecordValidator

__all__ = ["Loader"]

logger = logging.getLogger(__name__)

_dumps: Final = orjson.dumps


class Loader:
    """Loads the messages of one run into Postgres; see the module docstring.

    Any exception escaping a public method leaves the loader rolled back and closed.
    """

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        settings: Settings,
        *,
        reader: OrjsonReader,
        emit_state: Callable[[Mapping[str, Any]], None],
        unit: Unit | None = None,
    ) -> None:
        self._conn = conn
        self._unit = unit
        self._cur = conn.cursor()
        self._settings = settings
        self._reader = reader
        self._emit_state = emit_state
        self._streams: dict[str, Stream] = {}
        self._sequence = sequence_from(time.time_ns() // 1000)
        self._clock = Clock(_now_iso())
        self._schemas = Schemas(
            self._cur,
            settings,
            unit=unit,
            clock=self._clock,
            sequence=self._sequence,
            sync_started_ms=int(time.time() * 1000),
            where=self.where,
        )
        self._activations = Activations(self._cur, settings, where=self.where)
        self._switch_rows = min(SWITCH_ROWS, settings.batch_size_rows)
        self._staging = Staging(
            self._cur, unit=unit, clock=self._clock, sequence=self._sequence, where=self.where
        )
        self._files = CsvFiles(
            conn, self._cur, unit=unit, staging=self._staging, truncate_first=self._truncate_first
        )
        self._copy = CopySession(
            self._cur,
            self._streams,
            reader=reader,
            staging=self._staging.table,
            chunk_rows=min(CHUNK_ROWS, settings.batch_size_rows),
            switch_rows=self._switch_rows,
        )
        # the open batch
        self._uncommitted = 0  # rows sent since the last commit
        self._since_checkpoint = 0  # rows sent since the last checkpoint
        self._committing: dict[str, int] = {}  # rows sent since the last commit, by stream
        self._changed = False  # deletes or a TRUNCATE since the last commit
        self._last_commit = time.monotonic()
        self._state: Mapping[str, Any] | None = None
        self._last_emitted: Mapping[str, Any] | None = None
        self._loaded: dict[str, int] = {}
        self._batch_files: list[Path] = []  # files whose rows the open batch holds
        # records the fast path flags (see target_postgres.careful)
        self._careful = CarefulEncoder(
            sanitize=settings.sanitize_null_text_characters,
            where=self.where,
            upgrade=self._add_version_columns,
        )
        # validate_records: the validator of each stream, and the record method that uses it
        self._validators: dict[str, RecordValidator] = {}
        self._record = self.record
        if settings.validate_records:
            self.record = self._validated_record  # type: ignore[method-assign]

    # --- messages ------------------------------------------------------------------------

    def schema(self, message: Mapping[str, Any]) -> None:
        """Create or evolve the stream's table for a SCHEMA message (no-op if unchanged)."""
        name = message["stream"]
        existing = self._streams.get(name)
        if existing is not None and same_schema(existing.message, message):
            return
        with self._aborting_on_error():
            self._close_copy()
            if existing is not None:
                self._settle(existing)
            self._streams[name] = self._schemas.apply(name, message, existing)
            if self._settings.validate_records:
                self._validators[name] = RecordValidator(message["schema"], self.where(stream=name))
        early = self._activations.early(name)
        if early is not None:
            self.activate_version(early)

    def _validated_record(self, message: dict[str, Any]) -> None:
        """:meth:`record` after checking the record against its SCHEMA (validate_records)."""
        name = message["stream"]
        validator = self._validators.get(name)
        if validator is not None:
            try:
                validator.check(message["record"], lambda p: self.where(stream=name, prop=p))
            except BaseException:
                self._abort()
                raise
        self._record(message)

    def record(self, message: dict[str, Any]) -> None:
        """Turn one record into a COPY line and queue it; the hot path, so it is terse."""
        stream = self._streams.get(message["stream"])
        if stream is None:
            raise self._no_schema(message)
        try:
            try:
                # no default=: Decimals (rare, from the reader's exact-number path) and huge
                # integers fail here and take the slow path, which knows them
                data = _dumps(stream.row(message))
            except (
                Sparse,
                KeyMissing,
                NulCharacter,
                NeedsVersion,
                BadEncoding,
                TooDeep,
                orjson.JSONEncodeError,
            ):
                stream, data = self._careful.encode(stream, message)
            else:
                # A brace or a bracket past the first byte (a nested value, maybe) or a
                # JSON escape CSV does not read needs a closer look; 1-byte searches are
                # memchr-fast, and most rows have no backslash at all.
                if 123 in data or data.rfind(91) or (92 in data and not csv_safe(data)):
                    stream, data = self._careful.encode(stream, message, data)
                else:
                    data = data[1:-1]
            parts = stream.parts
            parts.append(data)
            stream.lines.append(self._reader.messages.line_number)
            if len(parts) >= stream.limit:
                self._ship(stream)
        except BaseException:
            self._abort()
            raise

    def state(self, value: Mapping[str, Any]) -> None:
        """Commit what came before the STATE and write it, if the batch is full or old enough
        (or holds nothing to wait for); else remember it for the next commit."""
        self._state = value
        if self._unit is not None:
            return  # a unit commits once, at the end of its input
        rows = self._uncommitted + self._queued()
        settings = self._settings
        if (
            not (rows or self._changed)
            or rows >= settings.batch_size_rows
            or time.monotonic() - self._last_commit >= settings.max_batch_age_seconds
        ):
            with self._aborting_on_error():
                self._flush()

    def activate_version(self, message: Mapping[str, Any]) -> None:
        """Retire the stream's rows that did not come with this version (full-table replace),
        now or once that can be done (see :mod:`target_postgres.activation`)."""
        name = message["stream"]
        if self._unit is not None and self._unit.identity.partition is not None:
            self._abort()
            raise activation_in_unit(name)
        if self._unit is not None:  # the unit is the stream's whole sync: so is its snapshot
            stream = self._streams.get(name)
            if stream is not None and not stream.versioned and self._settings.activate_version:
                with self._aborting_on_error():  # its DDL now, while the unit locks nothing
                    self._add_version_columns(stream)
            self._activations.hold(message)
            return
        self._activate(message)

    def _activate(self, message: Mapping[str, Any]) -> None:
        with self._aborting_on_error():
            stream = self._streams.get(message["stream"])
            stream = self._activations.applicable(message, stream)
            if stream is None:
                return
            self._close_copy()
            self._settle(stream)
            if not stream.versioned:
                stream = self._add_version_columns(stream)
            self._changed = True
            self._activations.retire(stream, message["version"])

    def csv_batch(self, message: Mapping[str, Any]) -> None:
        """COPY the files of a csv BATCH message into the stream's table, in manifest order."""
        name = message["stream"]
        with self._aborting_on_error():
            stream = self._streams.get(name)
            if stream is None:
                raise ProtocolError(
                    "a BATCH arrived before the stream's SCHEMA message",
                    where=self.where(stream=name),
                    hint="the tap must send a stream's SCHEMA before its records",
                )
            compression = batch_compression(message)
            paths = batch_files(message)
            version = message.get("version")
            if version is not None and self._settings.activate_version and not stream.versioned:
                stream = self._add_version_columns(stream)
            self._close_copy()
            if stream.parts:  # RECORD lines that came before the BATCH go first
                self._switch_copy(stream)
                self._close_copy()
            for path in paths:
                stream = self._streams[name]
                idle = not (self._changed or self._uncommitted or self._queued())
                rows = self._files.copy(stream, path, compression, version, idle=idle)
                self._count(stream, rows)
                self._loaded[name] = self._loaded.get(name, 0) + rows
                self.file_loaded(path)
                if self._since_checkpoint >= self._settings.batch_size_rows:
                    self._checkpoint()

    def file_loaded(self, path: Path) -> None:
        """Note that the rows of a BATCH file are in the open batch (see delete_batch_files)."""
        self._batch_files.append(path)

    def finish(self) -> None:
        """Commit what is left, write the last STATE, and close the connection."""
        with self._aborting_on_error():
            self._flush()
            self._files.drop_defaults()
            self._conn.commit()
        for name, rows in self._loaded.items():
            logger.info("Stream %r: %d rows loaded into %s", name, rows, self._streams[name].table)
        self._activations.report_unapplied()
        self._conn.close()
        if self._unit is not None:
            self._unit.tables.close()

    def abort(self) -> None:
        """Roll back whatever is uncommitted and close the connection; idempotent."""
        self._abort()

    # --- batches -------------------------------------------------------------------------

    def _ship(self, stream: Stream) -> None:
        """Send a stream's queued lines: into the open COPY, or by switching the COPY to it."""
        active = self._copy.stream
        if stream is active:
            self._count(stream, self._copy.send(stream))
        elif active is None or len(stream.parts) >= self._switch_rows:
            self._switch_copy(stream)
        if self._since_checkpoint >= self._settings.batch_size_rows:
            self._checkpoint()

    def _checkpoint(self) -> None:
        """End the open COPY and merge staged rows, without committing: bounds memory (the
        blocks a DIRECT COPY keeps for a replay) when a tap sends no STATE for long."""
        self._close_copy()
        for stream in self._streams.values():
            self._settle(stream)
        self._since_checkpoint = 0

    def _flush(self) -> None:
        """Send every queued line, merge the staged ones, commit, report the committed rows
        (:func:`elt.sdk.log_committed`), then write the STATE."""
        self._checkpoint()
        if self._unit is not None:
            self._merge_unit(self._unit)
        try:
            self._conn.commit()
        except psycopg.Error as exc:
            raise database_failure(exc, "committing the batch") from None
        self._uncommitted = 0
        self._changed = False
        rows_by_stream, self._committing = self._committing, {}
        for name, rows in rows_by_stream.items():
            log_committed(name, rows)
        sanitized, self._careful.sanitized = self._careful.sanitized, {}
        for name, records in sanitized.items():
            logger.warning(
                "Stream %r: NUL (\\u0000) characters, which Postgres cannot store, were removed "
                "from %d records of this commit (sanitize_null_text_characters; set it to "
                "false to refuse such records instead)",
                name,
                records,
            )
        self._last_commit = time.monotonic()
        self._clock.iso = _now_iso()
        committed, self._batch_files = self._batch_files, []
        if self._settings.delete_batch_files:
            _delete(committed)
        state, self._state = self._state, None
        if state is not None and state != self._last_emitted:
            self._emit_state(state)
            self._last_emitted = state

    def _merge_unit(self, unit: Unit) -> None:
        """Bring the unit's staged rows into their tables, fill in its ledger row, then apply
        its ACTIVATE_VERSIONs, in the unit's transaction."""
        rows = sum(self._committing.values())
        self._staging.merge_unit(unit, self._streams.values(), rows)
        for message in self._activations.release():
            self._activate(message)

    def _count(self, stream: Stream, rows: int) -> None:
        """Note ``rows`` of ``stream`` sent into the open transaction."""
        self._uncommitted += rows
        self._since_checkpoint += rows
        self._committing[stream.name] = self._committing.get(stream.name, 0) + rows

    def _queued(self) -> int:
        """How many rows the streams have queued, not yet sent."""
        return sum(len(s.parts) for s in self._streams.values())

    def _settle(self, stream: Stream) -> None:
        """Bring all of a stream's rows of this batch into its table (no COPY may be open)."""
        if stream.parts:
            self._switch_copy(stream)
            self._close_copy()
        self._staging.merge(stream)

    # --- the open COPY -------------------------------------------------------------------

    def _switch_copy(self, stream: Stream) -> None:
        """Make ``stream`` the one whose COPY is open, and send what it queued."""
        self._close_copy()
        self._truncate_first(stream)
        staged = stream.mode is Mode.STAGED or self._unit is not None
        target = self._staging.table(stream) if staged else stream.table.sql()
        self._copy.open(stream, target, staged=staged)
        self._count(stream, self._copy.send(stream))

    def _close_copy(self) -> None:
        """End the open COPY, if any (see :meth:`CopySession.close`)."""
        ended = self._copy.close()
        if ended is not None:
            stream, rows = ended
            self._loaded[stream.name] = self._loaded.get(stream.name, 0) + rows

    def _truncate_first(self, stream: Stream) -> None:
        """Empty the table the first time an ``overwrite`` stream loads in this run."""
        if stream.truncate_first:
            stream.truncate_first = False
            self._changed = True
            self._execute(f"TRUNCATE {stream.table.sql()}", f"emptying {stream.table}")

    # --- streams -------------------------------------------------------------------------

    def _add_version_columns(self, stream: Stream) -> Stream:
        """Give a stream the _sdc_table_version/_sdc_deleted_at columns ACTIVATE_VERSION needs.

        Its queued lines were encoded for the old columns, so they are sent first.
        """
        self._close_copy()
        self._settle(stream)
        self._close_copy()
        upgraded = self._schemas.apply(stream.name, stream.message, stream, versioned=True)
        self._streams[stream.name] = upgraded
        return upgraded

    # --- errors --------------------------------------------------------------------------

    def _no_schema(self, message: Mapping[str, Any]) -> Exception:
        self._abort()
        # the reader's note names the line and the stream (see elt.sdk.io)
        return RecordsWithoutSchemaException(
            "a RECORD arrived before its stream's SCHEMA message (the tap must send a "
            "stream's SCHEMA before its records)"
        )

    def where(self, *, stream: str | None = None, prop: str | None = None) -> str:
        """Where the message being handled is, for errors: its input line, and the stream
        and property the error is about (so the message itself names neither)."""
        messages = self._reader.messages
        where = f"{messages.name} line {messages.line_number}"
        if stream is not None:
            where += f", stream {stream!r}"
        if prop is not None:
            where += f", property {prop!r}"
        return where

    def _execute(self, statement: str, doing: str) -> None:
        try:
            self._cur.execute(statement)
        except psycopg.Error as exc:
            raise database_failure(exc, doing) from None

    @contextmanager
    def _aborting_on_error(self) -> Iterator[None]:
        """Roll back and close the connection if the block raises."""
        try:
            yield
        except BaseException:
            self._abort()
            raise

    def _abort(self) -> None:
        """Roll back the open batch and close, ignoring a connection that is already gone."""
        self._copy.abandon()
        if not self._conn.closed:
            try:
                self._conn.rollback()
            except psycopg.Error:
                logger.debug("rollback failed; closing the connection rolls back anyway")
            self._conn.close()
        if self._unit is not None:
            self._unit.tables.close()


def _delete(paths: Sequence[Path]) -> None:
    """Remove committed BATCH files; one that cannot be removed is only worth a warning."""
    for path in paths:
        try:
            path.unlink()
        except OSError as exc:
            logger.warning("Could not delete BATCH file %s: %s", path, exc.strerror or exc)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()
