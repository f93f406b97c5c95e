"""Tables and views of a database, with their columns and primary keys, in one catalog query.

One query over ``pg_catalog`` returns every column of every visible table, partitioned
table, view, materialised view and foreign table, with its type resolved through domains
and arrays and its place in the primary key: discovering 1,000 tables costs one round trip
and a few milliseconds per table, not one query per table. Partitions are left out (their
parent is the stream), and so are system schemas.

Which relations become streams is chosen by ``filter_schemas`` (MeltanoLabs tap-postgres's
setting: schemas to read; empty means all) and ``tables`` (globs on ``schema.table``;
``!``-prefixed ones exclude; no include glob means every table).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import psycopg

from tap_postgres.types import Column, Representation

__all__ = ["CATALOG_QUERY", "Table", "discover_tables", "table_matches"]

CATALOG_QUERY: Final = """
SELECT n.nspname, c.relname, c.relkind, a.attname, a.attnotnull,
       format_type(a.atttypid, a.atttypmod),
       b.typname,
       CASE WHEN s.typtype = 'd' THEN s.typtypmod ELSE a.atttypmod END,
       t.typcategory = 'A' AND t.typelem <> 0,
       CASE WHEN b.typtype = 'e' THEN (
           SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
           FROM pg_enum e WHERE e.enumtypid = b.oid) END,
       array_position(i.indkey::int2[], a.attnum)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type s ON s.oid = CASE WHEN t.typcategory = 'A' AND t.typelem <> 0
                               THEN t.typelem ELSE t.oid END
JOIN pg_type b ON b.oid = CASE WHEN s.typtype = 'd' THEN s.typbasetype ELSE s.oid END
LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp\\_%%'
  AND (cardinality(%(schemas)s::text[]) = 0 OR n.nspname = ANY(%(schemas)s::text[]))
ORDER BY n.nspname, c.relname, a.attnum
"""
_VIEW_KINDS: Final = frozenset({"v", "m"})


@dataclass(slots=True)
class Table:
    """A relation to read: its columns in order and its primary key columns in key order."""

    schema: str
    name: str
    is_view: bool
    columns: list[Column] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)

    @property
    def stream_id(self) -> str:
        """``schema-table``, MeltanoLabs tap-postgres's stream id (target-postgres reads the
        schema back from it)."""
        return f"{self.schema}-{self.name}"

    @property
    def qualified(self) -> str:
        """``schema.table``, as the ``tables`` globs and messages name it."""
        return f"{self.schema}.{self.name}"

    def schema_dict(self, rep: Representation) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {column.name: column.schema(rep) for column in self.columns},
        }


def discover_tables(
    conn: psycopg.Connection[Any], schemas: Sequence[str], globs: Sequence[str]
) -> list[Table]:
    """The relations ``filter_schemas`` and ``tables`` select, in schema and name order."""
    with conn.cursor() as cur:
        cur.execute(CATALOG_QUERY, {"schemas": list(schemas)})
        rows = cur.fetchall()
    conn.rollback()
    return [table for table in _tables(rows) if table_matches(table.qualified, globs)]


def table_matches(qualified: str, globs: Sequence[str]) -> bool:
    """Whether ``schema.table`` is included by the ``tables`` globs (``!glob`` excludes)."""
    includes = [g for g in globs if not g.startswith("!")]
    if includes and not any(fnmatch.fnmatchcase(qualified, g) for g in includes):
        return False
    return not any(fnmatch.fnmatchcase(qualified, g[1:]) for g in globs if g.startswith("!"))


def _tables(rows: Iterable[tuple[Any, ...]]) -> Iterable[Table]:
    table: Table | None = None
    keys: dict[int, str] = {}
    for schema, name, kind, column, not_null, declared, base, mod, array, enum, key in rows:
        if table is None or (table.schema, table.name) != (schema, name):
            if table is not None:
                table.primary_key = [keys[k] for k in sorted(keys)]
                yield table
            table, keys = Table(schema, name, kind in _VIEW_KINDS), {}
        if key is not None:
            keys[key] = column
        table.columns.append(
            Column(
                name=column,
                declared=declared,
                base=base,
                modifier=mod,
                nullable=not not_null,
                is_array=bool(array),
                enum=tuple(enum or ()),
            )
        )
    if table is not None:
        table.primary_key = [keys[k] for k in sorted(keys)]
        yield table
