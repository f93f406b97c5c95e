"""The SQL of a sync: key-ordered row ranges, the probe that bounds a chunk, csv COPY.

A stream is read in order of its *order key*: the primary key for FULL_TABLE, the
replication key for INCREMENTAL (none for a table without a primary key, read in one
pass). A chunk is the key range ``(after, upper]``: ``upper`` is found first by a probe
that walks ``chunk_rows`` entries of the key's index, so each chunk is one bounded index
range scan in its own short transaction, and a bookmark of the last key read is enough to
resume exactly where a run stopped. A chunk's first bound may be inclusive (``>=``), as
an INCREMENTAL bookmark is: rows sharing the bookmarked value are sent again rather than
risk missing one.

Bookmark values travel as text (``to_json(key) #>> '{}'``: ISO 8601 for date-times, every
digit for numerics) and are cast back to the column's type, so no value is rounded through
a Python float on the way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from psycopg import sql

from tap_postgres.discovery import Table
from tap_postgres.types import Column, csv_expression, json_expression

__all__ = ["Bounds", "copy_query", "probe_query", "rows_query"]

_ROW: Final = "r"
_JSON: Final = "j"


@dataclass(frozen=True, slots=True)
class Bounds:
    """A key range: rows after ``lower`` (or from it, when ``inclusive``) up to ``upper``.

    Values are the keys' text forms, in key order; None means unbounded on that side.
    """

    lower: Sequence[str] | None = None
    inclusive: bool = False
    upper: Sequence[str] | None = None


def rows_query(
    table: Table, columns: Sequence[Column], keys: Sequence[Column], bounds: Bounds
) -> tuple[sql.Composed, list[str]]:
    """Each row as its JSON text, then the text of its key values, in key order."""
    fields = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(json_expression(c, _ROW), sql.Identifier(c.name))
        for c in columns
    )
    key_texts = [
        sql.SQL("to_json({}.{}) #>> '{{}}'").format(sql.Identifier(_ROW), sql.Identifier(k.name))
        for k in keys
    ]
    where, params = _where(keys, bounds)
    query = sql.SQL(
        "SELECT row_to_json({j}.*)::text{keys} FROM {rel} AS {r} "
        "CROSS JOIN LATERAL (SELECT {fields}) AS {j}{where}{order}"
    ).format(
        j=sql.Identifier(_JSON),
        keys=sql.SQL("").join(sql.SQL(", ") + k for k in key_texts),
        rel=_relation(table),
        r=sql.Identifier(_ROW),
        fields=fields,
        where=where,
        order=_order(keys),
    )
    return query, params


def probe_query(
    table: Table, keys: Sequence[Column], bounds: Bounds, rows: int | None
) -> tuple[sql.Composed, list[str]]:
    """The key values (as text) of the ``rows``-th row of the range (its last row for None):
    the upper end of the next chunk."""
    where, params = _where(keys, bounds)
    order = _order(keys, descending=rows is None)
    query = sql.SQL("SELECT {keys} FROM {rel} AS {r}{where}{order} OFFSET {skip} LIMIT 1").format(
        keys=sql.SQL(", ").join(
            sql.SQL("to_json({}.{}) #>> '{{}}'").format(
                sql.Identifier(_ROW), sql.Identifier(k.name)
            )
            for k in keys
        ),
        rel=_relation(table),
        r=sql.Identifier(_ROW),
        where=where,
        order=order,
        skip=sql.Literal(0 if rows is None else rows - 1),
    )
    return query, params


def copy_query(
    table: Table, columns: Sequence[Column], keys: Sequence[Column], bounds: Bounds
) -> tuple[sql.Composed, list[str]]:
    """``COPY (SELECT …) TO STDOUT`` of the range as csv with a header of property names."""
    fields = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(csv_expression(c, _ROW), sql.Identifier(c.name)) for c in columns
    )
    where, params = _where(keys, bounds)
    query = sql.SQL(
        "COPY (SELECT {fields} FROM {rel} AS {r}{where}{order}) TO STDOUT (FORMAT csv, HEADER true)"
    ).format(
        fields=fields,
        rel=_relation(table),
        r=sql.Identifier(_ROW),
        where=where,
        order=_order(keys),
    )
    return query, params


def _relation(table: Table) -> sql.Composable:
    return sql.Identifier(table.schema, table.name)


def _order(keys: Sequence[Column], *, descending: bool = False) -> sql.Composable:
    if not keys:
        return sql.SQL("")
    direction = sql.SQL(" DESC" if descending else "")
    return sql.SQL(" ORDER BY ") + sql.SQL(", ").join(
        sql.Identifier(_ROW, k.name) + direction for k in keys
    )


def _where(keys: Sequence[Column], bounds: Bounds) -> tuple[sql.Composable, list[str]]:
    """The WHERE clause of a range (row comparisons, so a composite key uses its index)."""
    if not keys:
        return sql.SQL(""), []
    refs = sql.SQL("({})").format(sql.SQL(", ").join(sql.Identifier(_ROW, k.name) for k in keys))
    values = sql.SQL("({})").format(
        sql.SQL(", ").join(sql.SQL("%s::") + sql.SQL(k.declared) for k in keys)
    )
    clauses: list[sql.Composable] = [
        sql.SQL("{} IS NOT NULL").format(sql.Identifier(_ROW, k.name)) for k in keys
    ]
    params: list[str] = []
    if bounds.lower is not None:
        op = sql.SQL(">=" if bounds.inclusive else ">")
        clauses.append(sql.SQL("{} {} {}").format(refs, op, values))
        params.extend(bounds.lower)
    if bounds.upper is not None:
        clauses.append(sql.SQL("{} <= {}").format(refs, values))
        params.extend(bounds.upper)
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(clauses), params
