"""The connection's one open COPY: the stream it is for, its rows' input lines, its replay.

A connection runs one COPY at a time, and the loader keeps it open while records arrive:
each stream queues its encoded rows (``Stream.parts``) and sends them as one block when
``Stream.limit`` of them are queued. The open COPY's stream sends every
:data:`CHUNK_ROWS`, so Postgres parses and checks a block on its own core while Python
parses the next JSON lines; another stream waits for :data:`SWITCH_ROWS` before it is worth
switching the COPY to it; with no COPY open, every row is worth sending (the loader
decides). A :class:`CopySession` sets those limits as it opens and closes.

What a session keeps, and why:

- **the input line of every row sent** (8 bytes a row), so an error Postgres reports as
  "COPY line 5123" names the Singer line of that record (see :mod:`target_postgres.failures`);
- **the blocks of a DIRECT COPY** (see :mod:`target_postgres.stream`), which goes straight
  into the table under a savepoint: when a key already exists, the COPY is rolled back to
  the savepoint and the same blocks are replayed into the stream's staging table, to be
  merged; the stream stays STAGED from then on. The loader's checkpoints bound how many
  blocks a session keeps.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Callable, Mapping
from contextlib import ExitStack, suppress
from typing import Any, Final

import psycopg

from elt.errors import EltError
from elt.sdk import OrjsonReader
from target_postgres.copydata import COPY_OPTIONS
from target_postgres.failures import copy_failure, database_failure
from target_postgres.identifiers import quote
from target_postgres.staging import staging_relation
from target_postgres.stream import Mode, Stream

__all__ = ["CHUNK_ROWS", "SAVEPOINT", "SWITCH_ROWS", "CopySession", "copy_sql"]

logger = logging.getLogger(__name__)

CHUNK_ROWS: Final = 256
SWITCH_ROWS: Final = 5_000
SAVEPOINT: Final = "elt_copy"


class CopySession:
    """The COPY open on a connection, if any, and what it keeps until it ends.

    ``streams`` is the loader's own mapping of streams (their send limits follow the
    session); ``staging(stream)`` names the stream's staging table, creating it if needed,
    for a DIRECT COPY's replay. A failure to end the COPY raises the error naming the
    input line of the rejected record.
    """

    def __init__(
        self,
        cur: psycopg.Cursor[Any],
        streams: Mapping[str, Stream],
        *,
        reader: OrjsonReader,
        staging: Callable[[Stream], str],
        chunk_rows: int,
        switch_rows: int,
    ) -> None:
        self._cur = cur
        self._streams = streams
        self._reader = reader
        self._staging = staging
        self._chunk_rows = chunk_rows
        self._switch_rows = switch_rows
        #: the stream whose COPY is open, or None
        self.stream: Stream | None = None
        self._staged = False  # the COPY goes into the stream's staging table
        self._stack: ExitStack | None = None
        self._write: Callable[[bytes], None] = _no_copy
        self._lines = array("q")
        self._retained: list[bytes] | None = None  # a DIRECT COPY's blocks, for a replay

    def open(self, stream: Stream, target: str, *, staged: bool) -> None:
        """Start a COPY of the stream's columns into ``target``, its table or (``staged``)
        its staging table; none may be open. A DIRECT COPY starts under a savepoint."""
        self._retained = None
        if stream.mode is Mode.DIRECT:
            self._execute(f"SAVEPOINT {SAVEPOINT}", "starting a COPY")
            self._retained = []
        stack = ExitStack()
        try:
            copy = stack.enter_context(self._cur.copy(copy_sql(target, stream.columns)))
        except psycopg.Error as exc:
            raise database_failure(exc, f"starting COPY into {stream.table}") from None
        self._stack, self.stream, self._write, self._staged = stack, stream, copy.write, staged
        self._lines = array("q")
        for other in self._streams.values():
            other.limit = self._switch_rows
        stream.limit = self._chunk_rows

    def send(self, stream: Stream) -> int:
        """Send the open COPY's stream's queued rows as one block; return how many."""
        block, lines = stream.take()
        if self._retained is not None:
            self._retained.append(block)
        try:
            self._write(block)
        except psycopg.Error as exc:
            raise database_failure(exc, f"sending rows of stream {stream.name!r}") from None
        self._lines.extend(lines)
        return len(lines)

    def close(self) -> tuple[Stream, int] | None:
        """End the open COPY, if any: its stream and the rows it loaded (a staging table's
        rows are counted in ``Stream.staged_rows``, to merge later). On a key conflict in
        DIRECT mode the rows are replayed staged."""
        stream, stack = self.stream, self._stack
        if stream is None or stack is None:
            return None
        lines, retained, staged = self._lines, self._retained, self._staged
        self.stream, self._stack, self._retained = None, None, None
        self._write = _no_copy
        for other in self._streams.values():
            other.limit = 1
        try:
            stack.close()
        except psycopg.errors.UniqueViolation as exc:
            if retained is None:
                raise self._failure(exc, stream, stream.table.table, lines) from None
            self._replay_staged(stream, retained, lines)
        except psycopg.Error as exc:
            relation = staging_relation(stream) if staged else stream.table.table
            raise self._failure(exc, stream, relation, lines) from None
        else:
            if stream.mode is Mode.DIRECT:
                self._execute(f"RELEASE SAVEPOINT {SAVEPOINT}", "ending a COPY")
            elif staged:
                stream.staged_rows += len(lines)
        return stream, len(lines)

    def abandon(self) -> None:
        """End the open COPY, if any, with CopyFail, so the server discards it (the loader
        rolls back next); a connection that is already gone is no error."""
        stack = self._stack
        self.stream, self._stack, self._retained = None, None, None
        self._write = _no_copy
        if stack is not None:
            with suppress(Exception):
                stack.__exit__(_Aborted, _Aborted(), None)

    def _replay_staged(self, stream: Stream, blocks: list[bytes], lines: array[int]) -> None:
        """A DIRECT COPY met an existing key: send the same blocks to staging, merge later."""
        self._execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}", "undoing a COPY")
        self._execute(f"RELEASE SAVEPOINT {SAVEPOINT}", "undoing a COPY")
        logger.info(
            "Stream %r: %s already holds keys of this batch; upserting through a staging "
            "table from now on",
            stream.name,
            stream.table,
        )
        stream.mode = Mode.STAGED
        staging = self._staging(stream)
        try:
            with self._cur.copy(copy_sql(staging, stream.columns)) as copy:
                for block in blocks:
                    copy.write(block)
        except psycopg.Error as exc:
            raise self._failure(exc, stream, staging_relation(stream), lines) from None
        stream.staged_rows += len(lines)

    def _failure(
        self, exc: psycopg.Error, stream: Stream, relation: str, lines: array[int]
    ) -> EltError:
        return copy_failure(
            exc,
            stream=stream.name,
            relation=relation,
            columns=stream.columns,
            properties=[f.name or f.column for f in stream.fields],
            lines=lines,
            source=self._reader.messages.name,
            metadata={f.column for f in stream.fields if not f.declared},
        )

    def _execute(self, statement: str, doing: str) -> None:
        try:
            self._cur.execute(statement)
        except psycopg.Error as exc:
            raise database_failure(exc, doing) from None


def copy_sql(target: str, columns: tuple[str, ...]) -> str:
    """The COPY statement of rows of ``columns`` (all of the table's when empty)."""
    listed = f" ({', '.join(quote(c) for c in columns)})" if columns else ""
    return f"COPY {target}{listed} FROM STDIN {COPY_OPTIONS}"


class _Aborted(Exception):
    """The load failed; this COPY is abandoned."""


def _no_copy(_: bytes) -> None:  # pragma: no cover - a bug if ever called
    raise RuntimeError("no COPY is open")
