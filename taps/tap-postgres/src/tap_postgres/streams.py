"""``PostgresStream``: one table or view as one Singer stream, read in key-ordered chunks.

singer-sdk runs the stream (catalog, selection, state, stream maps, the standard tests);
its per-record path (a generator step, a record copy, type conformance, a message object
per record) would cost more than reading the row, so the stream has its own record loop
(:meth:`PostgresStream.sync_records`, on :class:`elt.sdk.streams.LeanStream`):

- each chunk (:mod:`tap_postgres.queries`) is read through a server-side cursor a batch
  at a time, so memory stays flat whatever the table's size, the next batch fetched by a
  thread while this one is written, so the server builds rows while the target reads;
- a lost connection is replaced and the read resumes after the last row sent
  (:meth:`PostgresStream._recover`);
- each row arrives as the JSON text ``row_to_json`` made on the server
  (:mod:`tap_postgres.types`), so with no stream map (**lean path**) a batch of RECORD
  lines is one ``str.join`` of those texts between the stream's prefix and suffix: no
  value is ever a Python object;
- with a stream map (**SDK path**) each row is parsed exactly (``Decimal``, never a float)
  and goes through singer-sdk's own ``_write_record_message``;
- with ``batch_config`` format ``csv`` each chunk is one ``COPY (SELECT …) TO STDOUT``
  into a file announced by a BATCH message (:mod:`tap_postgres.batchfiles`).

A STATE goes out every ``state_interval_rows`` rows (and after each csv file), holding the
last key sent (:mod:`tap_postgres.bookmarks`). ACTIVATE_VERSION is sent once, after the
last record of a complete FULL_TABLE snapshot, never at its start: a target that applied
it at the start would retire the rows a resumed snapshot already sent.

``max_record_count`` (MeltanoLabs' setting) stops a stream's sync after that many rows.
The STATE then holds the last key sent, so the next run continues after it (a FULL_TABLE
snapshot with the same version); a snapshot cut short sends no ACTIVATE_VERSION, which
would retire the rows it did not reach. Both record paths and the csv path count the rows
they send as the stream's ``record_count`` metric.

A partition read (``--partition``, :mod:`tap_postgres.partitions`) is the same sync in
primary-key order restricted to the partition's key range (and for INCREMENTAL to the
replication key's ``[bookmark, bound]``), on every path (lean, SDK, csv BATCH). It sends
one STATE, at its end, holding the bookmark at ``bound``, and no ACTIVATE_VERSION.

The replication method is the catalog's, else ``INCREMENTAL`` when the catalog names a
replication key, else ``default_replication_method``; LOG_BASED is refused
(:mod:`tap_postgres.options`).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Generator, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Final

import psycopg

from elt.errors import ConfigError
from elt.protocol import loads_exact
from elt.protocol.csvbatch import CsvBatchSettings
from elt.protocol.partitions import PartitionRequest
from elt.sdk import LeanStream, OrjsonWriter, maps_are_identity, record_prefix
from elt.sdk.csvbatch import CsvBatchStream
from elt.sdk.partitions import PartitionedStream, StreamPlan, partition_field_error
from elt.sdk.postgres import reason
from tap_postgres.batchfiles import copy_to_file
from tap_postgres.bookmarks import Bookmarks, PartitionBookmarks
from tap_postgres.connection import RECONNECT_DELAYS_S, query_failure
from tap_postgres.discovery import Table
from tap_postgres.options import LOG_BASED_REFUSAL, StreamOptions, max_record_count
from tap_postgres.partitions import check_partition, plan_stream, windows
from tap_postgres.queries import Bounds, Scan, copy_query, probe_query, rows_query
from tap_postgres.types import Column, Representation

if TYPE_CHECKING:
    from singer_sdk import singerlib as singer

    from tap_postgres.tap import TapPostgres

__all__ = ["BATCH_ROWS", "DEFAULT_CHUNK_ROWS", "DEFAULT_STATE_INTERVAL_ROWS", "PostgresStream"]

# Rows per FETCH from the server-side cursor: enough that a round trip costs nothing per
# row, few enough that a batch stays small in memory.
BATCH_ROWS: Final = 5_000
DEFAULT_CHUNK_ROWS: Final = 100_000
DEFAULT_STATE_INTERVAL_ROWS: Final = 10_000
_first = itemgetter(0)


class PostgresStream(LeanStream, CsvBatchStream, PartitionedStream):
    """The rows of one relation, typed as discovery found its columns."""

    def __init__(
        self, tap: TapPostgres, table: Table, options: StreamOptions | None = None
    ) -> None:
        self._rep = Representation.from_config(tap.config)
        super().__init__(tap, schema=table.schema_dict(self._rep), name=table.stream_id)
        self.table = table
        self.primary_keys = list(table.primary_key)
        self.options = options or StreamOptions()
        self.clauses = self.options.clauses
        self._pg_tap = tap
        self._range: tuple[int | None, int | None] = (None, None)

    @property
    def metadata(self) -> singer.MetadataMapping:
        """singer-sdk's metadata plus every column a bookmark can order by, the schema name,
        and whether the relation is a view."""
        if self._metadata is not None:
            return self._metadata
        from_catalog = bool(
            self._tap_input_catalog and self._tap_input_catalog.get_stream(self.tap_stream_id)
        )
        metadata = super().metadata
        if not from_catalog:
            metadata.root.valid_replication_keys = [
                c.name for c in self.table.columns if c.replication_key_candidate
            ] or None
            metadata.root.schema_name = self.table.schema
            metadata.root.table_key_properties = self.primary_keys
        return metadata

    def catalog_entry(self, entry: singer.CatalogEntry) -> singer.CatalogEntry:
        """Discovery names a replication method only where one was chosen: a discovered
        catalog would otherwise pin every stream to FULL_TABLE, over
        ``default_replication_method`` and over a method set later in its metadata."""
        if not self.forced_replication_method:
            entry.replication_method = None
        return entry

    def apply_catalog(self, catalog: singer.Catalog) -> None:
        """singer-sdk's, with the stream's metadata deciding its replication method: the
        Singer ``replication-method`` (which singer-sdk does not read), else
        ``forced-replication-method``, else the entry's ``replication_method``."""
        super().apply_catalog(catalog)
        entry = catalog.get_stream(self.name)
        if entry is not None:
            chosen = self._pg_tap.chosen_methods.get(self.name)
            chosen = chosen or entry.metadata.root.forced_replication_method
            if chosen:
                self.forced_replication_method = chosen

    @property
    def replication_method(self) -> str:
        """The catalog's method, else INCREMENTAL for a catalog replication key, else
        ``default_replication_method``."""
        if self.forced_replication_method:
            return str(self.forced_replication_method)
        if self.replication_key:
            return "INCREMENTAL"
        return str(self.config.get("default_replication_method") or "FULL_TABLE")

    def problems(self) -> list[str]:
        """Why this stream cannot be synced as the catalog and settings ask (none: it can)."""
        method = self.replication_method
        if method == "LOG_BASED":
            return [f"stream {self.name!r} asks for LOG_BASED replication"]
        if method == "INCREMENTAL":
            key = self.replication_key
            column = next((c for c in self.table.columns if c.name == key), None)
            if column is None or not column.replication_key_candidate:
                return [
                    f"stream {self.name!r} is INCREMENTAL but its replication key {key!r} is "
                    "not a column that orders rows (choose one of its valid-replication-keys "
                    "in the catalog metadata, or replication method FULL_TABLE)"
                ]
        elif method != "FULL_TABLE":
            return [f"stream {self.name!r} asks for replication method {method!r}"]
        return []

    @property
    def emit_activate_version_messages(self) -> bool:
        return bool(self.config.get("emit_activate_version_messages", True))

    def begin_table_version(self, version: int) -> None:
        """Only choose the version at the start (see the module docstring): a resumed
        snapshot keeps the version its rows were sent with."""
        resumed = self._bookmarks().resumed_version()
        self._stream_version = resumed if resumed is not None else version

    def get_records(self, context: Any) -> Iterator[dict[str, Any]]:
        """Every row as Python values; the sync does not come through here."""
        for batch in self._batches(self._scan(), Bounds()):
            for row in batch:
                yield loads_exact(row[0])

    def sync_records(
        self,
        context: Mapping[str, Any] | None,
        *,
        lean: OrjsonWriter | None,
        write_messages: bool,
    ) -> Iterator[dict[str, Any]]:
        scan = self._scan()
        bookmarks = self._bookmarks()
        bookmarks.begin_snapshot(self._stream_version)
        prefix = record_prefix(self.name).decode()
        end = "}\n" if self._stream_version is None else f',"version":{self._stream_version}}}\n'
        glue = end + prefix
        interval = int(self.config.get("state_interval_rows") or DEFAULT_STATE_INTERVAL_ROWS)
        limit = self.ABORT_AT_RECORD_COUNT
        cap = max_record_count(self.config)
        emitted = since_state = 0
        cut = False
        batches = self._batches(scan, bookmarks.start())
        with (
            contextlib.closing(batches),
            self.get_record_counter() as counter,
            self.get_sync_timer(),
        ):
            for batch in batches:
                rows: Sequence[tuple[Any, ...]] = batch
                over = limit is not None and emitted + len(rows) > limit
                if over:
                    rows = rows[: max(0, limit - emitted)]  # type: ignore[operator]
                if cap is not None and emitted + len(rows) >= cap:
                    rows = rows[: cap - emitted]
                    cut = len(rows) < len(batch) or next(batches, None) is not None
                if lean is not None:
                    lines = prefix + glue.join(map(_first, rows)) + end
                    lean.write_lines(lines.encode())
                else:
                    for row in rows:
                        record = loads_exact(row[0])
                        if write_messages:
                            self._write_record_message(record)
                        yield record
                if rows:
                    emitted += len(rows)
                    since_state += len(rows)
                    counter.increment(len(rows))
                    if scan.keys:
                        bookmarks.advance(rows[-1][1:])
                        self.state_manager.is_flushed = False
                if over:
                    self._check_max_record_limit(emitted)
                if cap is not None and emitted >= cap:
                    break
                if write_messages and since_state >= interval and self.partition is None:
                    self._write_state_message()
                    since_state = 0
        self._finish(bookmarks, write_messages=write_messages, complete=not cut)

    def _finish(self, bookmarks: Bookmarks, *, write_messages: bool, complete: bool) -> None:
        """After the last record: activate the snapshot's version (when the whole relation
        was read), then the final STATE."""
        if not complete:
            self.logger.info(
                "Stream %r stopped after max_record_count=%s rows; the next run continues "
                "after the last one sent",
                self.name,
                self.config.get("max_record_count"),
            )
        elif self.partition is not None and isinstance(bookmarks, PartitionBookmarks):
            bookmarks.finish_partition(self.partition.bound)
            self.state_manager.is_flushed = False
        elif self.replication_method == "FULL_TABLE":
            bookmarks.finish_snapshot()
            self.state_manager.is_flushed = False
            if write_messages and self._stream_version is not None:
                self.activate_version(self._stream_version)
        if write_messages:
            self._write_state_message()
        writer = self._tap.message_writer
        if isinstance(writer, OrjsonWriter):
            writer.flush()

    def sync_csv_batches(self, settings: CsvBatchSettings) -> None:
        """One ``COPY … TO STDOUT`` per chunk of ``batch_size`` rows, one file each; the
        BATCH message precedes the STATE whose bookmark covers the file."""
        if not maps_are_identity(self):
            raise ConfigError(
                f"stream {self.name!r} has a stream map, which csv BATCH files do not apply",
                where="stream_maps",
                hint="remove the map, or drop batch_config (RECORD messages go through maps)",
            )
        scan = self._scan()
        bookmarks = self._bookmarks()
        bookmarks.begin_snapshot(self._stream_version)
        resume, failures, sent = bookmarks.start(), 0, False
        remaining = max_record_count(self.config)
        complete = True
        with self.get_record_counter() as counter, self.get_sync_timer():
            while True:
                conn = self._pg_tap.connection
                try:
                    while True:
                        if remaining == 0:  # is there more than max_record_count rows?
                            complete = not scan.keys or self._chunk(conn, scan, resume, 1) is None
                            break
                        size = settings.batch_size
                        if remaining is not None:
                            size = min(size, remaining)
                        bounds = self._chunk(conn, scan, resume, size)
                        if bounds is None:
                            break
                        path = settings.folder / (
                            settings.stem(self._tap.name, self.name) + settings.suffix
                        )
                        query, params = copy_query(
                            scan, bounds, limit=None if scan.keys else remaining
                        )
                        with conn.cursor() as cur:
                            rows = copy_to_file(cur, query, params, path, settings.compression)
                        conn.commit()
                        self.announce(path.as_uri(), settings)
                        counter.increment(rows)
                        failures, sent = 0, True
                        if remaining is not None:
                            remaining = max(0, remaining - rows)
                        if bounds.upper is None:
                            complete = remaining != 0
                            break
                        resume = Bounds(bounds.upper)
                        bookmarks.advance(bounds.upper)
                        if self.partition is None:
                            self.state_manager.is_flushed = False
                            self._write_state_message()
                    break
                except psycopg.Error as exc:
                    failures += 1
                    self._recover(conn, exc, failures, resumable=bool(scan.keys) or not sent)
        self._finish(bookmarks, write_messages=True, complete=complete)

    def _batches(self, scan: Scan, start: Bounds) -> Generator[list[tuple[Any, ...]], None, None]:
        """Batches of rows (JSON text, then key texts) of every chunk, in key order.

        A lost connection is reconnected and the read resumes after the last row of the
        last batch yielded (see :meth:`_recover`): the consumer has sent it by then. A
        consumer that stops early (``max_record_count``) ends the read's transaction.
        """
        chunk_rows = int(self.config.get("chunk_rows") or DEFAULT_CHUNK_ROWS)
        # an INCREMENTAL key is not unique: resume from it; a partition is read in key order
        inclusive = self.replication_method == "INCREMENTAL" and self.partition is None
        resume, failures, sent = start, 0, False
        while True:
            conn = self._pg_tap.connection
            try:
                for bounds in self._chunks(conn, scan, resume, chunk_rows):
                    query, params = rows_query(scan, bounds)
                    with conn.cursor(name="tap_postgres_rows") as cur:
                        cur.execute(query, params)
                        with contextlib.closing(_prefetched(cur)) as batches:
                            for batch in batches:
                                yield batch
                                failures, sent = 0, True
                                if scan.keys:
                                    resume = Bounds(batch[-1][1:], inclusive=inclusive)
                    conn.commit()
                    if bounds.upper is not None:
                        resume = Bounds(bounds.upper)
                return
            except GeneratorExit:
                with contextlib.suppress(psycopg.Error):
                    conn.rollback()
                raise
            except psycopg.Error as exc:
                failures += 1
                self._recover(conn, exc, failures, resumable=bool(scan.keys) or not sent)

    def _chunk(
        self, conn: psycopg.Connection[Any], scan: Scan, start: Bounds, rows: int
    ) -> Bounds | None:
        """The first key range of ``rows`` rows from ``start``; None when none is left."""
        return next(iter(self._chunks(conn, scan, start, rows)), None)

    def _chunks(
        self, conn: psycopg.Connection[Any], scan: Scan, start: Bounds, rows: int
    ) -> Iterator[Bounds]:
        """The key ranges of ``rows`` rows each from ``start``; one open range without keys."""
        if not scan.keys:
            yield start
            return
        lower, inclusive = start.lower, start.inclusive
        while True:
            upper = None
            for size in (rows, None):  # the rows-th key, else the range's last one
                query, params = probe_query(scan, Bounds(lower, inclusive), size)
                with conn.cursor() as cur:
                    found = cur.execute(query, params).fetchone()
                conn.commit()
                if found is not None:
                    upper = list(found)
                    break
            if upper is None:
                return
            yield Bounds(lower, inclusive, upper)
            lower, inclusive = upper, False

    def _recover(
        self, conn: psycopg.Connection[Any], exc: psycopg.Error, failures: int, *, resumable: bool
    ) -> None:
        """Reconnect after the session was lost mid-read, or raise the error's paragraph.

        The read is retried ``len(RECONNECT_DELAYS_S)`` times in a row without a row read in
        between, when it can resume exactly: a keyed read after the last key sent (for
        INCREMENTAL from it, inclusively, as a rerun would), a read without keys only if
        it sent nothing yet. Any other error, and a lost connection past that, is raised.
        """
        if not (resumable and conn.closed and failures <= len(RECONNECT_DELAYS_S)):
            with contextlib.suppress(psycopg.Error):
                conn.rollback()
            raise self._failure(exc) from None
        self.logger.warning(
            "lost the connection while reading %s (%s); reconnecting (attempt %d of %d) to "
            "resume after the last row sent",
            self.table.qualified,
            reason(exc),
            failures,
            len(RECONNECT_DELAYS_S),
        )
        self._pg_tap.reconnect()

    def _columns(self) -> list[Column]:
        """The selected columns (primary keys are always selected: automatic inclusion)."""
        mask = self.mask
        return [c for c in self.table.columns if mask.get(("properties", c.name), True)]

    # --- partitions (elt-partitions) ----------------------------------------------------

    def plan_partitions(self) -> StreamPlan | None:
        """Key ranges of the primary key (:mod:`tap_postgres.partitions`), or None."""
        options = self.options
        if options.partitions is None and options.partition_rows is None:
            return None
        key = self._partition_key()
        if key is None or max_record_count(self.config) is not None:
            self.logger.info(
                "Stream %r is not partitioned: %s",
                self.name,
                "max_record_count is set"
                if key is not None
                else "its primary key is not one integer column",
            )
            return None
        conn = self._pg_tap.connection
        try:
            return plan_stream(
                conn,
                Scan(self.table, [], [key], self.clauses, self._rep),
                key,
                self._replication_column(),
                partitions=options.partitions,
                partition_rows=options.partition_rows,
            )
        except psycopg.Error as exc:
            with contextlib.suppress(psycopg.Error):
                conn.rollback()
            raise self._failure(exc) from None

    def check_partition(self, request: PartitionRequest) -> None:
        key = self._partition_key()
        if key is None:
            raise partition_field_error(
                "stream",
                f"stream {self.name!r} is not cut into partitions: its primary key is not one "
                "integer column",
            )
        if max_record_count(self.config) is not None:
            raise partition_field_error(
                "partition",
                "a partition is read whole, but max_record_count is set",
                hint="unset max_record_count for partitioned runs",
            )
        self._range = check_partition(request, key, self._replication_column())

    def _partition_key(self) -> Column | None:
        """The one integer primary key column ranges are cut on, or None."""
        by_name = {c.name: c for c in self.table.columns}
        keys = [by_name.get(name) for name in self.primary_keys]
        if len(keys) == 1 and keys[0] is not None and keys[0].integer:
            return keys[0]
        return None

    def _replication_column(self) -> Column | None:
        if self.replication_method != "INCREMENTAL":
            return None
        return next(c for c in self.table.columns if c.name == self.replication_key)

    def _order_keys(self) -> list[Column]:
        """The replication key for INCREMENTAL, the primary key for FULL_TABLE (and for
        a partition of either)."""
        if problems := self.problems():
            raise ConfigError(
                problems[0],
                where=f"catalog stream {self.name!r}",
                hint=LOG_BASED_REFUSAL if self.replication_method == "LOG_BASED" else None,
            )
        by_name = {c.name: c for c in self.table.columns}
        if self.partition is not None:
            key = self._partition_key()
            return [] if key is None else [key]
        if self.replication_method == "INCREMENTAL":
            return [by_name[str(self.replication_key)]]
        return [by_name[name] for name in self.primary_keys if name in by_name]

    def _scan(self) -> Scan:
        keys = self._order_keys()
        found = []
        if self.partition is not None and keys:
            rkey = self._replication_column()
            start = Bookmarks(self.stream_state, [rkey], incremental=True).start() if rkey else None
            found = windows(keys[0], self._range, rkey, start or Bounds(), self.partition.bound)
        return Scan(self.table, self._columns(), keys, self.clauses, self._rep, found)

    def _bookmarks(self) -> Bookmarks:
        incremental = self.replication_method == "INCREMENTAL"
        if self.partition is not None:
            rkey = self._replication_column()
            return PartitionBookmarks(
                self.stream_state, [rkey] if rkey else [], incremental=incremental
            )
        return Bookmarks(self.stream_state, self._order_keys(), incremental=incremental)

    def _failure(self, exc: psycopg.Error) -> Exception:
        return query_failure(
            exc,
            relation=self.table.qualified,
            config=self.config,
            stream=self.name,
            clauses=self.clauses,
        )


def _prefetched(cur: psycopg.ServerCursor[Any]) -> Generator[list[tuple[Any, ...]], None, None]:
    """The cursor's batches, the next one fetched by a thread while this one is written.

    A ``FETCH`` is a round trip during which the tap waits for the server to build the
    rows' JSON, and while the tap waits for the target to read its output the server would
    sit idle: fetching ahead lets the two overlap (one batch in flight, one queued). The
    connection is used by that thread alone until the cursor is exhausted, fails (the
    error is raised here) or is abandoned (the thread is stopped before this returns).
    """
    ready: queue.Queue[list[tuple[Any, ...]] | BaseException] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def fetch() -> None:
        try:
            while not stop.is_set():
                batch = cur.fetchmany(BATCH_ROWS)
                ready.put(batch)
                if not batch:
                    return
        except BaseException as exc:  # handed to the reading thread
            ready.put(exc)

    thread = threading.Thread(target=fetch, name="tap-postgres-fetch", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.05)
        thread.join()
