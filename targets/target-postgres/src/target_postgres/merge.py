"""The SQL that moves a staged batch into its table, and the SQL of ACTIVATE_VERSION.

A staged batch is merged with two set-based statements rather than ``INSERT … ON CONFLICT``:
measured on Postgres 15 with a million rows, ``ON CONFLICT`` costs two to three times more
than an ``UPDATE … FROM`` plus an ``INSERT … WHERE NOT EXISTS`` (it probes the index and
takes a speculative-insertion lock row by row), and it needs a unique index on exactly the
key columns, which a table created by someone else may lack.

Rows of csv BATCH files that need columns a file cannot carry (record metadata, a table
version) are staged too, with those columns filled by defaults of the staging table
(:func:`staging_defaults`); without key properties they are appended (:func:`append_staged`).

The last record of a key wins: the staging table numbers its rows in COPY order
(``_elt_seq``, an identity column Postgres fills as rows arrive), and ``DISTINCT ON`` keeps
the highest number per key. An UPDATE that would not change a row is skipped, so re-syncing
unchanged data writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import psycopg
from psycopg import sql

from target_postgres.identifiers import TableName, quote
from target_postgres.rows import Convert, Source
from target_postgres.stream import DELETED_AT, TABLE_VERSION, Stream
from target_postgres.types import known_type

__all__ = [
    "SEQUENCE",
    "StagingDefaults",
    "activate_version",
    "append_staged",
    "create_staging",
    "create_unit_staging",
    "decode_staged",
    "merge_staged",
    "staging_defaults",
]

SEQUENCE_COLUMN: Final = "_elt_staging_seq"
# numbers _sdc_sequence for rows COPY'd from csv BATCH files
SEQUENCE: Final = "pg_temp.elt_batch_sequence"


def create_staging(
    cur: psycopg.Cursor[Any], name: str, table: TableName, columns: Sequence[str]
) -> str:
    """Create the session's staging table for ``table``; return its qualified name.

    It copies the column types of the target (so COPY checks values exactly as the target
    would), lives in memory up to ``temp_buffers``, writes no WAL, and empties at commit.
    """
    staging = f"pg_temp.{quote(name)}"
    cur.execute(f"DROP TABLE IF EXISTS {staging}")
    cur.execute(
        f"CREATE TEMP TABLE {quote(name)} ON COMMIT DELETE ROWS AS "
        f"SELECT {_list(columns)} FROM {table.sql()} WITH NO DATA"
    )
    cur.execute(
        f"ALTER TABLE {staging} ADD COLUMN {quote(SEQUENCE_COLUMN)} "
        "bigint GENERATED ALWAYS AS IDENTITY"
    )
    return staging


def create_unit_staging(cur: psycopg.Cursor[Any], name: str, columns: Mapping[str, str]) -> str:
    """Create a staging table of a unit (:mod:`target_postgres.units`) with ``columns``
    (name → catalog type); return its qualified name.

    Typed from the catalog rather than from the table, so the unit's transaction holds no
    lock on the table; its rows stay until the unit commits (they spill to disk past
    ``temp_buffers``).
    """
    definitions = ", ".join(f"{quote(c)} {t}" for c, t in columns.items())
    staging = f"pg_temp.{quote(name)}"
    cur.execute(f"DROP TABLE IF EXISTS {staging}")
    cur.execute(
        f"CREATE TEMP TABLE {quote(name)} ({definitions}, {quote(SEQUENCE_COLUMN)} "
        "bigint GENERATED ALWAYS AS IDENTITY)"
    )
    return staging


@dataclass(frozen=True, slots=True)
class StagingDefaults:
    """Statements giving a staging table its defaults, and whether they use SEQUENCE."""

    statements: tuple[str, ...]
    sequenced: bool


def staging_defaults(
    cur: psycopg.Cursor[Any], stream: Stream, staging: str, *, clock: str, version: int | None
) -> StagingDefaults:
    """Defaults for the columns of ``stream`` that do not come from its records.

    A csv BATCH file carries only record properties; the metadata and version columns get
    what a RECORD message would have given them: the batch clock, the run's constants, the
    BATCH message's ``version``, NULL for ``time_extracted``, and for ``_sdc_sequence`` the
    next value of :data:`SEQUENCE` (whose start the loader sets).
    """
    clauses: list[str] = []
    sequenced = False
    for field in stream.fields:
        if field.source is Source.RECORD:
            continue
        if field.source is Source.SEQUENCE:
            sequenced = True
            value = f"nextval('{SEQUENCE}')"
        else:
            constant = {
                Source.CLOCK: clock,
                Source.CONSTANT: field.value,
                Source.MESSAGE: version if field.name == "version" else None,
            }[field.source]
            value = sql.Literal(constant).as_string(cur)
        clauses.append(f"ALTER COLUMN {quote(field.column)} SET DEFAULT {value}")
    statements = [f"CREATE TEMP SEQUENCE IF NOT EXISTS {SEQUENCE}"] if sequenced else []
    if clauses:
        statements.append(f"ALTER TABLE {staging} {', '.join(clauses)}")
    return StagingDefaults(tuple(statements), sequenced)


def decode_staged(
    cur: psycopg.Cursor[Any],
    staging: str,
    columns: Sequence[str],
    decoded: Mapping[str, Convert],
    copy: Callable[[str], int],
) -> int:
    """Stage rows whose ``decoded`` columns hold base16/base64 text (a csv BATCH file with
    interpret_content_encoding); return how many.

    ``copy(table)`` COPYs them into a temporary table like the staging table but with those
    columns as text; one ``INSERT … SELECT`` then decodes them into the staging table, in
    COPY order. Base16 may carry a ``0x``/``\\x`` prefix and an odd number of digits, as on
    the RECORD path.
    """
    raw = "pg_temp.elt_encoded"
    cur.execute(f"DROP TABLE IF EXISTS {raw}")
    cur.execute(
        f"CREATE TEMP TABLE elt_encoded AS SELECT {_list(columns)} FROM {staging} WITH NO DATA"
    )
    retyped = ", ".join(f"ALTER COLUMN {quote(c)} TYPE text" for c in decoded)
    cur.execute(f"ALTER TABLE {raw} {retyped}, ADD COLUMN {quote(SEQUENCE_COLUMN)} "
                "bigint GENERATED ALWAYS AS IDENTITY")  # fmt: skip
    rows = copy(raw)
    values = [_decoded(quote(c), decoded[c]) if c in decoded else quote(c) for c in columns]
    cur.execute(
        f"INSERT INTO {staging} ({_list(columns)}) SELECT {', '.join(values)} FROM {raw} "
        f"ORDER BY {quote(SEQUENCE_COLUMN)}"
    )
    cur.execute(f"DROP TABLE {raw}")
    return rows


def _decoded(column: str, convert: Convert) -> str:
    if convert is Convert.BASE64:
        return f"decode({column}, 'base64')"  # whitespace and line breaks are skipped
    digits = f"regexp_replace({column}, '^(0x|0X|\\\\x)', '')"
    return f"decode(CASE WHEN length({digits}) % 2 = 1 THEN '0' ELSE '' END || {digits}, 'hex')"


def merge_staged(
    cur: psycopg.Cursor[Any], stream: Stream, columns: Sequence[str] | None = None
) -> None:
    """Upsert the last staged row of each key into the stream's table; empty the staging.

    ``columns`` are the staged columns when they are not the stream's (a unit's staging
    table keeps every column its stream had during the unit).
    """
    staging, table, keys = stream.staging, stream.table, stream.keys
    columns = stream.columns if columns is None else tuple(columns)
    column_types = stream.column_types
    latest = (
        f"(SELECT DISTINCT ON ({_list(keys)}) {_list(columns)} FROM {staging} "
        f"ORDER BY {_list(keys)}, {quote(SEQUENCE_COLUMN)} DESC) AS s"
    )
    match = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in keys)
    values = [c for c in columns if c not in keys]
    if values:
        assignments = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in values)
        changed = ""
        if all(known_type(column_types.get(c, "")) for c in values):
            changed = (
                f" AND ROW({', '.join(f't.{quote(c)}' for c in values)}) IS DISTINCT FROM "
                f"ROW({', '.join(f's.{quote(c)}' for c in values)})"
            )
        cur.execute(
            f"UPDATE {table.sql()} AS t SET {assignments} FROM {latest} WHERE {match}{changed}"
        )
    cur.execute(
        f"INSERT INTO {table.sql()} ({_list(columns)}) SELECT {_list(columns)} FROM {latest} "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table.sql()} AS t WHERE {match})"
    )
    cur.execute(f"TRUNCATE {staging}")


def append_staged(
    cur: psycopg.Cursor[Any], stream: Stream, columns: Sequence[str] | None = None
) -> None:
    """Insert every staged row into the stream's table, in staging order; empty the staging.

    For streams without upserts whose rows needed staging anyway: csv BATCH rows that get
    metadata or version columns from the staging table's defaults, and every row of a unit
    (``columns`` as for :func:`merge_staged`).
    """
    columns = _list(stream.columns if columns is None else columns)
    cur.execute(
        f"INSERT INTO {stream.table.sql()} ({columns}) SELECT {columns} FROM {stream.staging} "
        f"ORDER BY {quote(SEQUENCE_COLUMN)}"
    )
    cur.execute(f"TRUNCATE {stream.staging}")


def activate_version(
    cur: psycopg.Cursor[Any], table: TableName, version: int, *, hard_delete: bool
) -> int:
    """Retire every row not loaded with ``version``; return how many were retired.

    Rows with no version are retired too: after ACTIVATE_VERSION the live rows of a table
    are exactly the ones the tap sent with that version.
    """
    stale = f"({quote(TABLE_VERSION)} IS NULL OR {quote(TABLE_VERSION)} < %s)"
    if hard_delete:
        cur.execute(f"DELETE FROM {table.sql()} WHERE {stale}", (version,))
    else:
        cur.execute(
            f"UPDATE {table.sql()} SET {quote(DELETED_AT)} = %s "
            f"WHERE {stale} AND {quote(DELETED_AT)} IS NULL",
            (datetime.now(UTC), version),
        )
    return cur.rowcount


def _list(names: Sequence[str]) -> str:
    return ", ".join(quote(n) for n in names)
