"""Unit mode: one unit of a split run loaded exactly once, next to other units on the same tables.

When ``ELT_UNIT`` names a unit (:mod:`elt.sdk.unit`), the loader works differently, and why:

- **One transaction for the whole unit, with its ledger row.** The first statement of the
  load inserts the unit's row into the *unit ledger*, ``"<default_target_schema>"._elt_units``
  (``unit_id`` primary key, ``stream``, ``partition``, ``attempt``, ``rows``,
  ``committed_at``); the rows of the unit and the ledger row's ``rows``/``committed_at``
  commit together at the end of the input, and only then are the unit's STATEs written. An
  attempt whose insert finds the row committed commits nothing, logs one line and still
  writes its STATEs (:class:`CommittedUnit`); an attempt racing a live one of the same unit
  waits on the row's primary key until the other commits (then it skips) or dies (then it
  loads). Exactly once, keyed or not.
- **The unit's transaction touches its tables only at the end.** Rows stream by COPY into
  a staging table of the session, created with the column types the catalog lists (not
  ``CREATE … AS SELECT FROM table``, which would hold a lock on the table until commit), and
  spill to disk past ``temp_buffers``, so memory stays bounded without committing (the price:
  every row is written twice, to staging and to its table). At the end
  the tables are locked ``SHARE ROW EXCLUSIVE`` — a mode that conflicts with itself, so
  units merging into one table take turns, and a merge never meets another's uncommitted
  rows (which could deadlock an ``UPDATE``, or duplicate a key of a table without a unique
  index) — all of the unit's tables in one ``LOCK`` statement in name order, so two units
  never hold them in opposite orders. The staging table is brought to the table's column
  types as they are then (another unit may have widened one), merged or appended, and the
  transaction commits: the locks last only as long as the merge.
- **DDL on a second, autocommit session, under an advisory lock keyed by the table.**
  Creating or altering a table must not wait inside the unit's transaction (an ``ALTER``
  needs every other unit's transaction off the table), so :class:`UnitTables` makes each
  change in its own short transaction, holding ``pg_advisory_lock`` of the table (and of the
  schema, for ``CREATE SCHEMA``) and re-reading the columns after taking it: of two units
  adding the same column, the second finds it there. The unit's transaction holds no lock
  on the table meanwhile, so the ``ALTER`` waits at most for a merge in progress. A unit
  killed after such a change leaves the change (a nullable column, a wider type: tables
  only grow) but none of its rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import psycopg

from elt.errors import ProtocolError
from elt.protocol import UnitIdentity
from target_postgres.identifiers import TableName, quote
from target_postgres.tables import (
    TableInfo,
    converted,
    create_table,
    describe,
    ensure_schema,
    evolve,
)
from target_postgres.types import PgType, known_type

__all__ = [
    "LEDGER",
    "CommittedUnit",
    "Unit",
    "UnitTables",
    "activation_in_unit",
    "claim",
    "committed_by",
    "fit_staging",
    "lock_tables",
    "record_commit",
]

logger = logging.getLogger(__name__)

LEDGER: Final = "_elt_units"
_LEDGER_COLUMNS: Final = (
    "unit_id text PRIMARY KEY, stream text, partition text, attempt integer NOT NULL, "
    "rows bigint, committed_at timestamptz"
)


@dataclass(frozen=True)
class Unit:
    """A unit being loaded: who it is, its ledger, and the session its DDL runs on."""

    identity: UnitIdentity
    ledger: TableName
    tables: UnitTables


class UnitTables:
    """DDL for a unit, on its own autocommit session, under advisory locks (module doc)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        conn.autocommit = True
        self._conn = conn
        self._cur = conn.cursor()

    def fit(
        self,
        table: TableName,
        types: Sequence[tuple[str, PgType]],
        primary_key: Sequence[str],
        *,
        where: str,
    ) -> TableInfo:
        """Create ``table`` or make it fit ``types``; the table as it is afterwards."""
        with self._locked(f"schema:{table.schema}"):
            ensure_schema(self._cur, table.schema)
        with self._locked(f"table:{table.sql()}"):
            info = describe(self._cur, table, where=where)
            if info is None:
                return create_table(self._cur, table, types, primary_key)
            return evolve(self._cur, table, info, types)

    def ledger(self, schema: str) -> TableName:
        """The unit ledger of ``schema``, created if missing."""
        ledger = TableName(schema, LEDGER)
        with self._locked(f"schema:{schema}"):
            ensure_schema(self._cur, schema)
        with self._locked(f"table:{ledger.sql()}"):
            self._cur.execute(f"CREATE TABLE IF NOT EXISTS {ledger.sql()} ({_LEDGER_COLUMNS})")
        return ledger

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        """Hold the session advisory lock of ``key`` (hashed to 64 bits) for the block."""
        self._cur.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (_LOCK + key,))
        try:
            yield
        finally:
            self._cur.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (_LOCK + key,))


_LOCK: Final = "elt.target-postgres:"


def claim(cur: psycopg.Cursor[Any], ledger: TableName, unit: UnitIdentity) -> bool:
    """Insert the unit's ledger row in the open transaction; False if an earlier attempt
    committed it (after waiting for a live attempt holding it to end)."""
    row = cur.execute(
        f"INSERT INTO {ledger.sql()} (unit_id, stream, partition, attempt) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (unit_id) DO NOTHING RETURNING unit_id",
        (unit.id, unit.stream, unit.partition, unit.attempt),
    ).fetchone()
    return row is not None


def committed_by(cur: psycopg.Cursor[Any], ledger: TableName, unit_id: str) -> str:
    """How the ledger describes the attempt that committed ``unit_id``, for the log."""
    row = cur.execute(
        f"SELECT attempt, committed_at, rows FROM {ledger.sql()} WHERE unit_id = %s", (unit_id,)
    ).fetchone()
    if row is None:  # pragma: no cover - the insert just met it
        return "an earlier attempt"
    return f"attempt {row[0]} at {row[1]:%Y-%m-%d %H:%M:%S%z} ({row[2]} rows)"


def record_commit(cur: psycopg.Cursor[Any], ledger: TableName, unit_id: str, rows: int) -> None:
    """Fill in the ledger row the unit's transaction inserted, just before it commits."""
    cur.execute(
        f"UPDATE {ledger.sql()} SET rows = %s, committed_at = clock_timestamp() WHERE unit_id = %s",
        (rows, unit_id),
    )


def lock_tables(cur: psycopg.Cursor[Any], tables: Iterable[TableName]) -> None:
    """Lock the tables a unit merges into, in name order, in one statement (module doc)."""
    ordered = sorted(set(tables), key=lambda t: (t.schema, t.table))
    if ordered:
        names = ", ".join(t.sql() for t in ordered)
        cur.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")


def fit_staging(
    cur: psycopg.Cursor[Any], staging: str, have: dict[str, str], want: Mapping[str, str]
) -> None:
    """Give the staging table the columns of ``want`` (name → catalog type): add the
    missing ones, retype the ones whose type differs; ``have`` is updated to match."""
    changes = []
    for name, type_name in want.items():
        current = have.get(name)
        if current is None:
            changes.append(f"ADD COLUMN {quote(name)} {type_name}")
        elif current != type_name:
            old, new = known_type(current), known_type(type_name)
            cast = f"{quote(name)}::{type_name}"
            using = converted(quote(name), old, new) if old and new else cast
            changes.append(f"ALTER COLUMN {quote(name)} TYPE {type_name} USING {using}")
        have[name] = type_name
    if changes:
        cur.execute(f"ALTER TABLE {staging} {', '.join(changes)}")


class CommittedUnit:
    """The load of a unit an earlier attempt committed: nothing is loaded, STATEs pass.

    It reads every message (so the tap is not cut off mid-write) and writes the last STATE
    at the end, as the attempt that committed the unit did.
    """

    def __init__(
        self, unit: UnitIdentity, by: str, emit_state: Callable[[Mapping[str, Any]], None]
    ) -> None:
        self._emit_state = emit_state
        self._partition = unit.partition
        self._state: Mapping[str, Any] | None = None
        logger.info(
            "Unit %s (stream %r, partition %r) was already committed by an earlier attempt "
            "(%s): this attempt loads nothing",
            unit.id,
            unit.stream,
            unit.partition,
            by,
        )

    def schema(self, message: Mapping[str, Any]) -> None:
        pass

    def record(self, message: dict[str, Any]) -> None:
        pass

    def state(self, value: Mapping[str, Any]) -> None:
        self._state = value

    def activate_version(self, message: Mapping[str, Any]) -> None:
        """A whole stream's: applied when the earlier attempt committed; a partition's:
        refused, as in any attempt."""
        if self._partition is not None:
            raise activation_in_unit(message["stream"])

    def finish(self) -> None:
        if self._state is not None:
            self._emit_state(self._state)

    def abort(self) -> None:
        self._state = None


def activation_in_unit(stream: str) -> ProtocolError:
    """An ACTIVATE_VERSION inside a unit: it would retire the rows of the other units."""
    return ProtocolError(
        f"an ACTIVATE_VERSION for stream {stream!r} arrived inside a unit of a split run",
        hint="a tap reading one partition sends none: the coordinator sends it once, after "
        "every unit of the stream committed (see elt.protocol.partitions)",
    )
