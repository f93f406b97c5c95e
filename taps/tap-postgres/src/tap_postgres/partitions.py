"""Key-range partitions of a stream, for ``--partitions`` and ``--partition`` (elt-partitions).

**Which streams.** A stream whose primary key is one integer column (smallint, integer,
bigint) and whose ``stream_options.<stream>`` sets ``partitions: N`` or ``partition_rows:
R``. Other keys (text, uuid, composite), tables without one and views without key
properties cannot be cut into ranges whose width means anything, so they are left out of
the plan and run as one unit; so is every stream while ``max_record_count`` is set (a
capped run ends where it stopped, not at a partition's end) and a stream with no row.

**How it is cut.** Between the key's smallest and largest values, found by two index
probes (:func:`tap_postgres.queries.probe_query`), into N ranges of equal width
(``partition_rows``: N = the table's rows / R, its rows being ``pg_class.reltuples``,
or an exact ``count(*)`` for a table never analyzed). Planning therefore costs the same
on a thousand rows and on a billion. A sample of the key (``TABLESAMPLE`` and
percentiles) would balance a skewed key better, but reads a share of the table's pages
at planning; serial and identity keys, the common case, are dense, and a skewed key only
makes the partitions uneven, never wrong.

**What a partition is.** ``{"id": "100..200", "key": "id", "after": 100, "upto": 200,
"rows": 100}``: the rows with ``after < key <= upto``. The first range is open below
(``after`` null) and the last open above (``upto`` null), so together they cover every
key exactly once, and rows inserted beyond the largest key while the units run are read
by the last one if it has not passed them yet (else by the next run). The id is the
range's own text, so the same range always has the same id and a request whose id does
not match its range is refused. ``rows`` is an estimate (absent when unknown).

**Bound.** An INCREMENTAL stream's ``bound`` is its replication key's largest value at
planning (in the bookmark's form: an integer for integer keys, else text); each partition
reads ``bookmark <= replication key <= bound``, inclusive at the bookmark as every
INCREMENTAL read of this tap is (rows sharing the bookmarked value are read again rather
than missed), and its last STATE bookmarks ``bound``. Rows written later with a larger
value wait for the next run. A FULL_TABLE stream's bound is null.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import sql

from elt.protocol.partitions import PartitionRequest
from elt.sdk.partitions import StreamPlan, partition_field_error
from tap_postgres.queries import Bounds, Scan, Window, probe_query
from tap_postgres.types import Column

__all__ = ["check_partition", "key_ranges", "partition_id", "plan_stream", "windows"]


def partition_id(after: int | None, upto: int | None) -> str:
    """``after..upto``, an empty side for an open end: ``..100``, ``100..200``, ``200..``."""
    return f"{'' if after is None else after}..{'' if upto is None else upto}"


def key_ranges(low: int, high: int, count: int) -> list[tuple[int | None, int | None]]:
    """``count`` ranges ``(after, upto]`` of equal width over ``low..high``, the first open
    below and the last open above (fewer when there are fewer keys than ``count``)."""
    span = high - low + 1
    cuts = sorted({low - 1 + math.ceil(i * span / count) for i in range(1, count)} - {high})
    edges: list[int | None] = [None, *cuts, None]
    return list(itertools.pairwise(edges))


def plan_stream(
    conn: psycopg.Connection[Any],
    scan: Scan,
    key: Column,
    replication_key: Column | None,
    *,
    partitions: int | None,
    partition_rows: int | None,
) -> StreamPlan | None:
    """The stream's key ranges and bound now; None for a stream without rows."""
    keyed = Scan(scan.table, [], [key], scan.clauses, scan.rep)
    low, high = _probe(conn, keyed, 1), _probe(conn, keyed, None)
    if low is None or high is None:
        return None
    bound: Any = None
    if replication_key is not None:
        text = _probe(conn, Scan(scan.table, [], [replication_key], scan.clauses, scan.rep), None)
        if text is None:
            return None
        bound = int(text) if replication_key.integer else text
    rows = _table_rows(conn, scan, exact=partition_rows is not None)
    count = partitions or max(1, math.ceil((rows or 0) / (partition_rows or 1)))
    ranges = key_ranges(int(low), int(high), count)
    each = None if rows is None else math.ceil(rows / len(ranges))
    return StreamPlan(
        [
            {
                "id": partition_id(after, upto),
                "key": key.name,
                "after": after,
                "upto": upto,
                **({} if each is None else {"rows": each}),
            }
            for after, upto in ranges
        ],
        bound,
    )


def check_partition(
    request: PartitionRequest, key: Column, replication_key: Column | None
) -> tuple[int | None, int | None]:
    """The request's range ``(after, upto]``, or the error naming what a plan would not have
    held: another key, bounds of the wrong kind or order, an id that is not the range's, a
    bound of the wrong kind for the stream."""
    partition: Mapping[str, Any] = request.partition
    if partition.get("key") != key.name:
        raise partition_field_error(
            "partition.key",
            f"the partition is a range of {partition.get('key')!r}, but the stream's primary "
            f"key is {key.name!r}",
            hint="plan again with --partitions: the table changed since",
        )
    after, upto = partition.get("after"), partition.get("upto")
    for name, value in (("after", after), ("upto", upto)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise partition_field_error(
                f"partition.{name}", f"expected an integer key value or null, got {value!r}"
            )
    if after is not None and upto is not None and after >= upto:
        raise partition_field_error(
            "partition.upto", f"the range is empty: upto {upto} is not above after {after}"
        )
    if partition.get("id") != partition_id(after, upto):
        raise partition_field_error(
            "partition.id",
            f"{partition.get('id')!r} is not the id of the range ({after}, {upto}]: the plan "
            f"names it {partition_id(after, upto)!r}",
        )
    bound = request.bound
    if replication_key is None:
        if bound is not None:
            raise partition_field_error(
                "bound", "a FULL_TABLE stream's partitions have a null bound"
            )
    else:
        kind: type = int if replication_key.integer else str
        if bound is None or isinstance(bound, bool) or not isinstance(bound, kind):
            raise partition_field_error(
                "bound",
                f"an INCREMENTAL stream's partitions have its replication key "
                f"{replication_key.name!r} at planning as bound (an {kind.__name__}), "
                f"got {bound!r}",
            )
    return after, upto


def windows(
    key: Column,
    key_range: tuple[int | None, int | None],
    replication_key: Column | None,
    start: Bounds,
    bound: Any,
) -> list[Window]:
    """The ranges a partition read keeps to: the key range, and for an INCREMENTAL stream
    its replication key from the bookmark (``start``) up to ``bound``."""
    after, upto = (None if value is None else str(value) for value in key_range)
    found = [Window(key, after, False, upto)]
    if replication_key is not None:
        lower = start.lower[0] if start.lower else None
        found.append(Window(replication_key, lower, True, str(bound)))
    return found


def _probe(conn: psycopg.Connection[Any], scan: Scan, rows: int | None) -> str | None:
    """The first (``rows`` 1) or last (None) key of the scan's rows, as text."""
    query, params = probe_query(scan, Bounds(), rows)
    with conn.cursor() as cur:
        found = cur.execute(query, params).fetchone()
    conn.commit()
    return None if found is None else str(found[0])


def _table_rows(conn: psycopg.Connection[Any], scan: Scan, *, exact: bool) -> int | None:
    """The table's rows as the planner last counted them (0 is taken as never analyzed);
    then, with ``exact``, ``count(*)`` of the table, else None."""
    query = sql.SQL(
        "SELECT c.reltuples::bigint FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s"
    )
    with conn.cursor() as cur:
        found = cur.execute(query, [scan.table.schema, scan.table.name]).fetchone()
        estimate = None if found is None or found[0] <= 0 else int(found[0])
        if estimate is None and exact:
            counted = cur.execute(
                sql.SQL("SELECT count(*) FROM {}").format(scan.relation)
            ).fetchone()
            estimate = int(counted[0]) if counted else 0
    conn.commit()
    return estimate
