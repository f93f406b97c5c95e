"""What a target table looks like in the catalog, and the DDL that makes it fit a SCHEMA.

Tables only ever grow: a new property adds a nullable column, a wider type widens a column
(:func:`target_postgres.types.widen`), and nothing is dropped or narrowed, so a tap that
sends an older schema can never destroy data. A property that disappears keeps its column;
new rows hold NULL in it.

All DDL runs in the loader's open transaction, so a failed batch rolls back the DDL made
for it too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from elt.errors import ProtocolError
from target_postgres.identifiers import TableName, quote
from target_postgres.types import PgType, known_type, widen

__all__ = ["TableInfo", "converted", "create_table", "describe", "ensure_schema", "evolve"]

logger = logging.getLogger(__name__)

_COLUMNS_SQL = """
SELECT c.relkind, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = %s AND c.relname = %s
ORDER BY a.attnum
"""
_UNIQUE_SQL = """
SELECT i.indisprimary, array_agg(a.attname::text ORDER BY k.ord)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
WHERE n.nspname = %s AND c.relname = %s AND i.indisunique AND i.indpred IS NULL
  AND i.indexprs IS NULL
GROUP BY i.indexrelid, i.indisprimary
"""
_TABLE_KINDS = ("r", "p")


@dataclass(frozen=True, slots=True)
class TableInfo:
    """A table's columns (name → catalog type name, in order) and its unique keys."""

    columns: dict[str, str]
    primary_key: tuple[str, ...]
    unique_keys: frozenset[frozenset[str]]

    def is_unique_on(self, keys: Sequence[str]) -> bool:
        """Whether a primary key or unique index covers exactly ``keys``."""
        return bool(keys) and frozenset(keys) in self.unique_keys


def describe(
    cur: psycopg.Cursor[Any], table: TableName, *, where: str | None = None
) -> TableInfo | None:
    """The table as the catalog has it, or None when there is none; ``where`` locates the
    stream in the error for a relation that is not a table."""
    rows = cur.execute(_COLUMNS_SQL, (table.schema, table.table)).fetchall()
    if not rows:
        return None
    if rows[0][0] not in _TABLE_KINDS:
        raise ProtocolError(
            f"{table} exists but is not a table (relkind {rows[0][0]!r})",
            where=where,
            hint="rename or drop it, or load the stream into another schema",
        )
    columns = {name: type_name for _, name, type_name in rows if name is not None}
    primary: tuple[str, ...] = ()
    unique = set()
    for is_primary, names in cur.execute(_UNIQUE_SQL, (table.schema, table.table)):
        unique.add(frozenset(names))
        if is_primary:
            primary = tuple(names)
    return TableInfo(columns, primary, frozenset(unique))


def ensure_schema(cur: psycopg.Cursor[Any], schema: str) -> None:
    """Create the schema unless it exists (checked first: CREATE needs a privilege).

    ``IF NOT EXISTS`` does not make two sessions creating one schema at once safe: the
    second fails on the catalog's unique index. Two pipelines loading one schema at the same
    time (a job's independent tasks, an orchestrator's parallel tasks) do exactly that, so
    the CREATE runs in a savepoint and losing that race is taking the winner's schema.
    """
    exists = cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    statement = f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}"
    if not exists and _created_unless_raced(cur, statement):
        logger.info("Created schema %s", quote(schema))


def create_table(
    cur: psycopg.Cursor[Any],
    table: TableName,
    columns: Sequence[tuple[str, PgType]],
    primary_key: Sequence[str],
) -> TableInfo:
    """Create the table with ``columns`` and, when given, a primary key on them."""
    definitions = [f"{quote(name)} {pg_type.value}" for name, pg_type in columns]
    if primary_key:
        definitions.append(f"PRIMARY KEY ({', '.join(quote(k) for k in primary_key)})")
    statement = f"CREATE TABLE IF NOT EXISTS {table.sql()} ({', '.join(definitions)})"
    if _created_unless_raced(cur, statement):  # else another session's is described below
        logger.info("Created table %s", table)
    info = describe(cur, table)
    if info is None:  # pragma: no cover - the CREATE above just made it
        raise ProtocolError(f"{table} vanished right after it was created")
    return info


def evolve(
    cur: psycopg.Cursor[Any],
    table: TableName,
    info: TableInfo,
    wanted: Sequence[tuple[str, PgType]],
) -> TableInfo:
    """Add the missing columns and widen the narrower ones; return the table as it is now."""
    changes: list[str] = []
    for name, pg_type in wanted:
        current = info.columns.get(name)
        if current is None:
            changes.append(f"ADD COLUMN {quote(name)} {pg_type.value}")
            continue
        known = known_type(current)
        if known is None:
            continue
        target = widen(known, pg_type)
        if target is not known:
            changes.append(
                f"ALTER COLUMN {quote(name)} TYPE {target.value} "
                f"USING {converted(quote(name), known, target)}"
            )
    if not changes:
        return info
    cur.execute(f"ALTER TABLE {table.sql()} {', '.join(changes)}")
    logger.info("Altered table %s: %s", table, "; ".join(changes))
    evolved = describe(cur, table)
    if evolved is None:  # pragma: no cover - altered a moment ago
        raise ProtocolError(f"{table} vanished while being altered")
    return evolved


def converted(column: str, current: PgType, target: PgType) -> str:
    """The expression that turns a value of ``current`` into the same value as ``target``.

    Postgres has no cast from numbers or booleans to ``jsonb``: ``to_jsonb`` makes the JSON
    value (``5``, ``true``). A ``jsonb`` value widened to ``text`` becomes what a text
    column holds for the same record value: a string's text without JSON quotes, anything
    else its JSON text. Bytes become their hex text.
    """
    if target is PgType.JSONB:
        return f"to_jsonb({column})"
    if current is PgType.JSONB:
        return f"{column} #>> '{{}}'"
    if current is PgType.BYTEA:
        return f"encode({column}, 'hex')"
    return f"{column}::{target.value}"


def _created_unless_raced(cur: psycopg.Cursor[Any], statement: str) -> bool:
    """Run a ``CREATE … IF NOT EXISTS`` in a savepoint; False when another session created
    the same object at the same moment (the catalog's unique index refused ours)."""
    try:
        with cur.connection.transaction():
            cur.execute(statement)
    except psycopg.errors.UniqueViolation:
        return False
    return True
