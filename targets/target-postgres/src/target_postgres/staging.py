"""The run's staging tables: one per stream that needs one, filled by COPY, merged later.

A stream's rows go through a temporary staging table when they cannot be COPYed straight
into its table: an upsert without a unique key to conflict on (STAGED, see
:mod:`target_postgres.stream`), a csv BATCH file whose rows need columns the file cannot
carry, or any row of a unit of a split run. :class:`Staging` creates each table on first
use (the SQL is in :mod:`target_postgres.merge`), COPYs csv files into it, and brings its
rows into the stream's table: when the loader settles the stream, or, for a unit, all of
them at once when the unit commits (:mod:`target_postgres.units`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

import psycopg

from elt.errors import ProtocolError
from target_postgres.csvbatch import BatchFile, copy_file
from target_postgres.failures import database_failure
from target_postgres.merge import (
    SEQUENCE,
    append_staged,
    create_staging,
    create_unit_staging,
    decode_staged,
    merge_staged,
    staging_defaults,
)
from target_postgres.rows import Clock, Convert
from target_postgres.stream import Mode, Stream
from target_postgres.tables import describe
from target_postgres.units import Unit, fit_staging, lock_tables, record_commit

__all__ = ["Staging", "staging_relation"]


class Staging:
    """Creates, fills and merges the staging tables of one run's streams.

    ``clock`` and ``sequence`` are the loader's, so rows of csv files get the metadata a
    RECORD would have given them; ``where(stream=)`` locates errors.
    """

    def __init__(
        self,
        cur: psycopg.Cursor[Any],
        *,
        unit: Unit | None,
        clock: Clock,
        sequence: Iterator[int],
        where: Callable[..., str],
    ) -> None:
        self._cur = cur
        self._unit = unit
        self._clock = clock
        self._sequence = sequence
        self._where = where
        self._created = 0

    def table(self, stream: Stream) -> str:
        """The stream's staging table, created if it has none yet."""
        if stream.staging is None:
            self._created += 1
            name = f"elt_staging_{self._created}"
            try:
                if self._unit is not None:
                    columns = {c: stream.column_types[c] for c in stream.columns}
                    stream.staging = create_unit_staging(self._cur, name, columns)
                    stream.staging_columns = columns
                else:
                    stream.staging = create_staging(self._cur, name, stream.table, stream.columns)
            except psycopg.Error as exc:
                doing = f"creating a staging table for {stream.table}"
                raise database_failure(exc, doing) from None
        return stream.staging

    def merge(self, stream: Stream) -> None:
        """Bring the stream's staged rows into its table (a unit's wait for its commit)."""
        if stream.staged_rows and stream.staging is not None and self._unit is None:
            try:
                if stream.mode is Mode.APPEND:
                    append_staged(self._cur, stream)
                else:
                    merge_staged(self._cur, stream)
            except psycopg.Error as exc:
                raise database_failure(exc, f"merging stream {stream.name!r}") from None
            stream.staged_rows = 0

    def copy_file(
        self,
        stream: Stream,
        file: BatchFile,
        version: int | None,
        decoded: Mapping[str, Convert],
    ) -> int:
        """COPY a csv file into the stream's staging table; return the number of rows.

        Columns the file cannot carry (record metadata, the table version) are filled by
        defaults of the staging table; ``decoded`` columns hold base16/base64 text, decoded
        on the way (:func:`~target_postgres.merge.decode_staged`). Unless the stream is
        STAGED (which merges at commit), the rows move into the table at once, so rows sent
        after them cannot overtake them.
        """
        staging = self.table(stream)
        defaults = staging_defaults(
            self._cur, stream, staging, clock=self._clock.iso, version=version
        )
        doing = f"preparing staging table {staging}"
        for statement in defaults.statements:
            self._execute(statement, doing)
        if defaults.sequenced:  # _sdc_sequence continues the loader's numbers
            self._execute(f"SELECT setval('{SEQUENCE}', {next(self._sequence)}, false)", doing)
        try:
            if decoded:
                rows = decode_staged(
                    self._cur,
                    staging,
                    file.columns,
                    decoded,
                    lambda raw: copy_file(self._cur, raw, file),
                )
            else:
                rows = copy_file(self._cur, staging, file)
        except psycopg.Error as exc:
            relation = "elt_encoded" if decoded else staging_relation(stream)
            raise file.failure(exc, stream.name, relation) from None
        if defaults.sequenced:  # skip the numbers the COPY used (increasing is all they need)
            deque(islice(self._sequence, rows), maxlen=0)
        stream.staged_rows += rows
        if stream.mode is not Mode.STAGED:
            self.merge(stream)
        return rows

    def merge_unit(self, unit: Unit, streams: Iterable[Stream], rows: int) -> None:
        """Bring the unit's staged rows into their tables and fill in its ledger row with
        ``rows``, in the unit's transaction (see :mod:`target_postgres.units` for the
        locking)."""
        staged = [s for s in streams if s.staged_rows and s.staging is not None]
        try:
            lock_tables(self._cur, (s.table for s in staged))
            for stream in staged:
                info = describe(self._cur, stream.table, where=self._where(stream=stream.name))
                if info is None:
                    raise ProtocolError(f"table {stream.table} was dropped during the load")
                columns = stream.staging_columns
                fit_staging(
                    self._cur,
                    stream.staging or "",
                    columns,
                    {c: info.columns[c] for c in columns if c in info.columns},
                )
                stream.column_types = info.columns
                if stream.mode is Mode.APPEND:
                    append_staged(self._cur, stream, list(columns))
                else:
                    merge_staged(self._cur, stream, list(columns))
                stream.staged_rows = 0
            record_commit(self._cur, unit.ledger, unit.identity.id, rows)
        except psycopg.Error as exc:
            raise database_failure(exc, f"committing unit {unit.identity.id}") from None

    def _execute(self, statement: str, doing: str) -> None:
        try:
            self._cur.execute(statement)
        except psycopg.Error as exc:
            raise database_failure(exc, doing) from None


def staging_relation(stream: Stream) -> str:
    """The stream's staging table's name as Postgres prints it in error contexts."""
    return (stream.staging or "").rsplit(".", 1)[-1].strip('"')
