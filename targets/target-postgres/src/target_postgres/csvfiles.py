"""Which way a csv BATCH file goes into its stream's table, and the DEFAULTs that allows.

(Reading a file — its header, its bytes, the line an error means — is
:mod:`target_postgres.csvbatch`.) A file goes to COPY as it is, the way its stream's mode
sends rows (:mod:`target_postgres.stream`): straight into the table (APPEND; DIRECT under
a savepoint, falling back to staging when a key already exists), or through the stream's
staging table (:mod:`target_postgres.staging`) when the stream is STAGED, the run is a
unit, a column holds encoded bytes, or the rows need columns the file cannot carry (record
metadata, a table version). The table version alone does not force staging: the table's
version column gets the BATCH's version as its DEFAULT, for the rest of the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from target_postgres.copysession import SAVEPOINT
from target_postgres.csvbatch import BatchFile, copy_file
from target_postgres.failures import database_failure
from target_postgres.identifiers import quote
from target_postgres.rows import Source
from target_postgres.staging import Staging
from target_postgres.stream import DECODED, TABLE_VERSION, Mode, Stream
from target_postgres.units import Unit

__all__ = ["CsvFiles"]

logger = logging.getLogger(__name__)


class CsvFiles:
    """COPYs csv BATCH files into their streams' tables; owns the version DEFAULTs it set.

    ``truncate_first(stream)`` empties an ``overwrite`` stream's table before its first
    rows, as the loader does for RECORD lines.
    """

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        cur: psycopg.Cursor[Any],
        *,
        unit: Unit | None,
        staging: Staging,
        truncate_first: Callable[[Stream], None],
    ) -> None:
        self._conn = conn
        self._cur = cur
        self._unit = unit
        self._staging = staging
        self._truncate_first = truncate_first
        self._version_defaults: dict[str, int] = {}  # table → the DEFAULT of its version

    def copy(
        self,
        stream: Stream,
        path: Path,
        compression: str | None,
        version: int | None,
        *,
        idle: bool,
    ) -> int:
        """COPY one file the way the stream's mode sends rows; return the number of rows.

        ``idle`` says the open transaction holds no data yet, so a version DEFAULT may be
        committed now (see :meth:`_version_default`).
        """
        file = BatchFile.open(stream, path, compression)
        # columns a file cannot carry that must not be NULL (a COPY leaves them NULL)
        extra = {
            f.column
            for f in stream.fields
            if f.source is not Source.RECORD
            and not (f.source is Source.CONSTANT and f.value is None)
        }
        if (
            extra == {TABLE_VERSION}
            and version is not None
            and stream.mode is not Mode.STAGED
            and self._version_default(stream, version, idle=idle)
        ):
            extra = set()
        self._truncate_first(stream)
        decoded = {
            f.column: f.convert
            for f in stream.fields
            if f.convert in DECODED and f.column in file.columns
        }
        if extra or decoded or stream.mode is Mode.STAGED or self._unit is not None:
            return self._staging.copy_file(stream, file, version, decoded)
        if stream.mode is not Mode.DIRECT:
            try:
                return copy_file(self._cur, stream.table.sql(), file)
            except psycopg.Error as exc:
                raise file.failure(exc, stream.name, stream.table.table) from None
        self._execute(f"SAVEPOINT {SAVEPOINT}", "starting a COPY")
        try:
            rows = copy_file(self._cur, stream.table.sql(), file)
        except psycopg.errors.UniqueViolation:
            self._execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}", "undoing a COPY")
            self._execute(f"RELEASE SAVEPOINT {SAVEPOINT}", "undoing a COPY")
            logger.info(
                "Stream %r: %s already holds keys of %s; upserting through a staging "
                "table from now on",
                stream.name,
                stream.table,
                path,
            )
            stream.mode = Mode.STAGED
            return self._staging.copy_file(stream, file, version, decoded)
        except psycopg.Error as exc:
            raise file.failure(exc, stream.name, stream.table.table) from None
        self._execute(f"RELEASE SAVEPOINT {SAVEPOINT}", "ending a COPY")
        return rows

    def drop_defaults(self) -> None:
        """Drop the version DEFAULTs set in this run (in the loader's last transaction)."""
        for table in self._version_defaults:
            self._execute(
                f"ALTER TABLE {table} ALTER COLUMN {quote(TABLE_VERSION)} DROP DEFAULT",
                f"resetting the {TABLE_VERSION} default of {table}",
            )

    def _version_default(self, stream: Stream, version: int, *, idle: bool) -> bool:
        """Give the table's version column the BATCH's version as its DEFAULT, so a csv file
        (which cannot carry it) COPYs straight into the table instead of through staging;
        False when that cannot be done now.

        The change is committed at once: ``ALTER TABLE`` locks out readers, but only for
        that moment, not for a whole batch. So it is made only while the open transaction
        holds no data (``idle``: the loader commits only at a STATE, see
        :mod:`target_postgres.loader`); a tap sends a snapshot's files with one version, so
        that is at its first file. The default is dropped at the end of the run; a killed
        run leaves it, which only matters to other writers that omit the column (elt's
        loads always name it).
        """
        table = stream.table.sql()
        if self._version_defaults.get(table) == version:
            return True
        if self._unit is not None:
            return False  # a unit commits once, at its end
        if not idle:
            return False
        self._execute(
            f"ALTER TABLE {table} ALTER COLUMN {quote(TABLE_VERSION)} SET DEFAULT {int(version)}",
            f"setting the {TABLE_VERSION} default of {table}",
        )
        try:
            self._conn.commit()
        except psycopg.Error as exc:
            raise database_failure(exc, f"setting the {TABLE_VERSION} default of {table}") from None
        self._version_defaults[table] = version
        return True

    def _execute(self, statement: str, doing: str) -> None:
        try:
            self._cur.execute(statement)
        except psycopg.Error as exc:
            raise database_failure(exc, doing) from None
