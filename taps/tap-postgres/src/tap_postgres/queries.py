"""The SQL of a sync: key-ordered row ranges, the probe that bounds a chunk, csv COPY.

A stream is read in order of its *order key*: the primary key for FULL_TABLE, the
replication key for INCREMENTAL (none for a table without a primary key, read in one
pass). A chunk is the key range ``(after, upper]``: ``upper`` is found first by a probe
that walks ``chunk_rows`` entries of the key's index, so each chunk is one bounded index
range scan in its own short transaction, and a bookmark of the last key read is enough to
resume exactly where a run stopped. A chunk's first bound may be inclusive (``>=``), as
an INCREMENTAL bookmark is: rows sharing the bookmarked value are sent again rather than
risk missing one.

Every query also holds the stream's ``custom_where_clauses`` (MeltanoLabs'
``stream_options.<stream>.custom_where_clauses``), each in parentheses and ANDed: the rows
of the stream, its chunks and its bookmarks are those of the rows they let through. The
relation is not aliased where they apply, so a clause may name columns bare
(``amount > 0``) or qualified (``orders.amount``, ``public.orders.amount``). They are SQL
as written, run in the tap's read-only session.

A partition read (``--partition``, :mod:`tap_postgres.partitions`) adds *windows* to every
query: fixed ranges of one column each, its primary key's ``(after, upto]`` and, for an
INCREMENTAL stream, the replication key's ``[bookmark, bound]``; its chunks and bookmarks
are those of the rows inside them.

Bookmark values travel as text (``to_json(key) #>> '{}'``: ISO 8601 for date-times, every
digit for numerics) and are cast back to the column's type, so no value is rounded through
a Python float on the way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from psycopg import sql

from tap_postgres.discovery import Table
from tap_postgres.types import Column, Representation, csv_expression, json_expression

__all__ = ["Bounds", "Scan", "Window", "copy_query", "probe_query", "rows_query"]

_JSON: Final = "_elt_row"
_SOURCE: Final = "_elt_source"


@dataclass(frozen=True, slots=True)
class Bounds:
    """A key range: rows after ``lower`` (or from it, when ``inclusive``) up to ``upper``.

    Values are the keys' text forms, in key order; None means unbounded on that side.
    """

    lower: Sequence[str] | None = None
    inclusive: bool = False
    upper: Sequence[str] | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """Rows whose ``column`` is after ``lower`` (or from it, when ``inclusive``) up to
    ``upper``, as text; None is unbounded on that side."""

    column: Column
    lower: str | None = None
    inclusive: bool = False
    upper: str | None = None


@dataclass(frozen=True, slots=True)
class Scan:
    """What a stream reads: its relation, the selected columns, the order key, the rows
    the custom WHERE clauses and a partition's windows let through, and how values are
    represented."""

    table: Table
    columns: Sequence[Column]
    keys: Sequence[Column]
    clauses: Sequence[str] = ()
    rep: Representation = field(default_factory=Representation)
    windows: Sequence[Window] = ()

    @property
    def relation(self) -> sql.Identifier:
        return sql.Identifier(self.table.schema, self.table.name)


def rows_query(scan: Scan, bounds: Bounds) -> tuple[sql.Composed, list[str]]:
    """Each row as its JSON text, then the text of its key values, in key order.

    The rows are filtered in a subquery on the relation itself, so the WHERE clauses see
    the table's columns only (not the JSON expressions' names, which would make a bare
    column name ambiguous); Postgres flattens it into the same index range scan.
    """
    src = sql.Identifier(_SOURCE)
    fields = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(json_expression(c, src, scan.rep), sql.Identifier(c.name))
        for c in scan.columns
    )
    key_texts = [
        sql.SQL("to_json({}.{}) #>> '{{}}'").format(src, sql.Identifier(k.name)) for k in scan.keys
    ]
    where, params = _where(scan, bounds)
    query = sql.SQL(
        "SELECT row_to_json({j}.*)::text{keys} FROM (SELECT * FROM {rel}{where}) AS {src} "
        "CROSS JOIN LATERAL (SELECT {fields}) AS {j}{order}"
    ).format(
        j=sql.Identifier(_JSON),
        keys=sql.SQL("").join(sql.SQL(", ") + k for k in key_texts),
        rel=scan.relation,
        where=where,
        src=src,
        fields=fields,
        order=_order(scan, relation=src),
    )
    return query, params


def probe_query(scan: Scan, bounds: Bounds, rows: int | None) -> tuple[sql.Composed, list[str]]:
    """The key values (as text) of the ``rows``-th row of the range (its last row for None):
    the upper end of the next chunk."""
    rel = scan.relation
    where, params = _where(scan, bounds)
    query = sql.SQL("SELECT {keys} FROM {rel}{where}{order} OFFSET {skip} LIMIT 1").format(
        keys=sql.SQL(", ").join(
            sql.SQL("to_json({}.{}) #>> '{{}}'").format(rel, sql.Identifier(k.name))
            for k in scan.keys
        ),
        rel=rel,
        where=where,
        order=_order(scan, descending=rows is None),
        skip=sql.Literal(0 if rows is None else rows - 1),
    )
    return query, params


def copy_query(
    scan: Scan, bounds: Bounds, limit: int | None = None
) -> tuple[sql.Composed, list[str]]:
    """``COPY (SELECT …) TO STDOUT`` of the range as csv with a header of property names;
    at most ``limit`` rows (for a stream without keys, read in one range)."""
    rel = scan.relation
    fields = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(csv_expression(c, rel, scan.rep), sql.Identifier(c.name))
        for c in scan.columns
    )
    where, params = _where(scan, bounds)
    query = sql.SQL(
        "COPY (SELECT {fields} FROM {rel}{where}{order}{limit}) TO STDOUT (FORMAT csv, HEADER true)"
    ).format(
        fields=fields,
        rel=rel,
        where=where,
        order=_order(scan),
        limit=sql.SQL("") if limit is None else sql.SQL(" LIMIT {}").format(sql.Literal(limit)),
    )
    return query, params


def _order(
    scan: Scan, *, descending: bool = False, relation: sql.Identifier | None = None
) -> sql.Composable:
    if not scan.keys:
        return sql.SQL("")
    direction = sql.SQL(" DESC" if descending else "")
    return sql.SQL(" ORDER BY ") + sql.SQL(", ").join(
        sql.SQL("{}.{}").format(relation or scan.relation, sql.Identifier(k.name)) + direction
        for k in scan.keys
    )


def _where(scan: Scan, bounds: Bounds) -> tuple[sql.Composable, list[str]]:
    """The WHERE clause of a range (row comparisons, so a composite key uses its index),
    with the stream's custom clauses."""
    clauses: list[sql.Composable] = [  # "%" is a placeholder's start for psycopg: doubled
        sql.SQL("({})").format(sql.SQL(clause.replace("%", "%%"))) for clause in scan.clauses
    ]
    params: list[str] = []
    keys = scan.keys
    if keys:
        columns = [sql.SQL("{}.{}").format(scan.relation, sql.Identifier(k.name)) for k in keys]
        refs = sql.SQL("({})").format(sql.SQL(", ").join(columns))
        values = sql.SQL("({})").format(
            sql.SQL(", ").join(sql.SQL("%s::") + sql.SQL(k.declared) for k in keys)
        )
        clauses.extend(sql.SQL("{} IS NOT NULL").format(column) for column in columns)
        if bounds.lower is not None:
            op = sql.SQL(">=" if bounds.inclusive else ">")
            clauses.append(sql.SQL("{} {} {}").format(refs, op, values))
            params.extend(bounds.lower)
        if bounds.upper is not None:
            clauses.append(sql.SQL("{} <= {}").format(refs, values))
            params.extend(bounds.upper)
    for window in scan.windows:
        column = sql.SQL("{}.{}").format(scan.relation, sql.Identifier(window.column.name))
        value = sql.SQL("%s::") + sql.SQL(window.column.declared)
        if window.lower is not None:
            op = sql.SQL(">=" if window.inclusive else ">")
            clauses.append(sql.SQL("{} {} {}").format(column, op, value))
            params.append(window.lower)
        if window.upper is not None:
            clauses.append(sql.SQL("{} <= {}").format(column, value))
            params.append(window.upper)
    if not clauses:
        return sql.SQL(""), []
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(clauses), params
