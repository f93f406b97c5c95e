"""Database errors → one-paragraph elt errors that name the input line, stream and property.

Values are checked by Postgres while it parses the COPY stream (that is the cheap way to
validate a million records). Its error names the COPY line and column (``CONTEXT: COPY
users, line 5123, column age: "abc"``); the loader keeps the input line of every row of
the current COPY, so the message points at the Singer line the tap wrote, and at the
property rather than the (possibly shortened) column.

Exit codes follow :mod:`elt.errors`: a value that does not fit its column is a data error
(65); otherwise :func:`elt.sdk.postgres.error_class`, shared with tap-postgres, decides: a
missing privilege, refused credentials or a database that is gone are configuration
(:class:`~elt.errors.AccessError`, 78: a person must grant or fix something, so ``elt run
--retries`` does not retry it); an unreachable, full or overloaded server, a lost
connection or a deadlock a temporary failure (75, retried); anything else is a statement of
this target's own that Postgres refused, a bug in this target (70).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Final

import psycopg

from elt.errors import (
    AccessError,
    ConfigError,
    EltError,
    PluginError,
    ProtocolError,
    ServiceError,
)
from elt.sdk.postgres import error_class

__all__ = ["NOTHING_COMMITTED", "batch_file_failure", "copy_failure", "database_failure"]

NOTHING_COMMITTED: Final = (
    "nothing after the last emitted STATE was committed, so a rerun resumes from it"
)
_DATA_CLASSES: Final = ("22", "23")
_UNIQUE: Final = "23505"
_RESERVED_NAME: Final = "42939"  # a schema or table named pg_…


def database_failure(exc: psycopg.Error, doing: str) -> EltError:
    """The elt error for a failed statement that is not about one row.

    A value that does not fit is data; otherwise :func:`elt.sdk.postgres.error_class`, the
    rule both Postgres plugins follow, tells configuration from a temporary failure, and
    anything else is a statement of this target's own that Postgres refused: a bug.
    """
    state = exc.sqlstate or ""
    reason = _reason(exc)
    if state[:2] in _DATA_CLASSES:
        return ProtocolError(f"{doing} failed: {reason}", hint=_data_hint(state))
    if state == _RESERVED_NAME:
        return ConfigError(
            f"Postgres refused {doing}: {reason}",
            where="default_target_schema",
            hint="names starting with pg_ belong to Postgres: choose another "
            f"default_target_schema (or rename the stream with a stream map); {NOTHING_COMMITTED}",
        )
    kind = error_class(exc)
    if issubclass(kind, AccessError):
        return AccessError(
            f"Postgres refused {doing}: {reason}",
            hint="grant the target's user what it needs (CONNECT on the database, CREATE on "
            "it or on the schema, INSERT/UPDATE/DELETE/TRUNCATE on its tables) or fix its "
            f"credentials, then rerun; {NOTHING_COMMITTED}",
        )
    if issubclass(kind, ServiceError):
        return ServiceError(
            f"Postgres failed while {doing}: {reason}",
            hint=f"{NOTHING_COMMITTED}; rerun once the server is reachable and healthy",
        )
    return PluginError(
        f"unexpected Postgres error while {doing}: {reason}",
        hint=f"{NOTHING_COMMITTED}; please report this with the log",
    )


def copy_failure(
    exc: psycopg.Error,
    *,
    stream: str,
    relation: str,
    columns: Sequence[str],
    properties: Sequence[str],
    lines: Sequence[int],
    source: str,
    metadata: Collection[str] = (),
) -> EltError:
    """The elt error for a COPY that Postgres rejected, pointing at the record that broke it.

    ``relation`` is the table name as Postgres prints it in the error context, ``columns``
    and ``properties`` map the COPY's columns back to property names, and ``lines`` holds the
    input line of each row of that COPY. ``metadata`` names the columns no SCHEMA declared
    (record metadata): a bad value there is the record's, not its SCHEMA's.
    """
    state = exc.sqlstate or ""
    if state[:2] not in _DATA_CLASSES:
        return database_failure(exc, f"loading stream {stream!r}")
    row, column = _copy_position(exc, relation, columns)
    where = f"stream {stream!r}"
    if row is not None and 0 < row <= len(lines):
        where = f"{source} line {lines[row - 1]}, {where}"
    elif row is not None:
        where = f"{where}, row {row} of the batch"
    hint = _data_hint(state)
    if column is not None:
        prop = properties[columns.index(column)]
        where += f", property {prop!r}"
        if column in metadata:
            hint = (
                f"{prop} is record metadata (add_record_metadata), which the SCHEMA does not "
                f"declare: the tap sent a value that does not fit it; fix the tap, or turn "
                f"add_record_metadata off; {NOTHING_COMMITTED}"
            )
    return ProtocolError(_reason(exc), where=where, hint=hint)


def batch_file_failure(
    exc: psycopg.Error,
    *,
    stream: str,
    relation: str,
    columns: Sequence[str],
    properties: Sequence[str],
    path: str,
    record_start: Callable[[int], int],
) -> EltError:
    """The elt error for a COPY of a csv BATCH file that Postgres rejected.

    Like :func:`copy_failure`, but the COPY's lines are the file's own: the error names the
    file, the line where the rejected record starts (``record_start`` maps the line
    Postgres names, where the record ends) and the property of the column.
    """
    state = exc.sqlstate or ""
    if state[:2] not in _DATA_CLASSES:
        return database_failure(exc, f"loading BATCH file {path} of stream {stream!r}")
    line, column = _copy_position(exc, relation, columns)
    where = path if line is None else f"{path} line {record_start(line)}"
    where += f", stream {stream!r}"
    if column is not None:
        where += f", property {properties[columns.index(column)]!r}"
    hint = _data_hint(state)
    if state != _UNIQUE:
        hint = (
            "the file does not fit the stream's SCHEMA or the csv BATCH format (a header of "
            "property names, then rows of as many fields); fix the tap and rerun; "
            f"{NOTHING_COMMITTED}"
        )
    return ProtocolError(_reason(exc), where=where, hint=hint)


def _copy_position(
    exc: psycopg.Error, relation: str, columns: Sequence[str]
) -> tuple[int | None, str | None]:
    """(COPY line, column) from the error context; the names make the parse unambiguous."""
    prefix = f"COPY {relation}, line "
    for line in (exc.diag.context or "").splitlines():
        if not line.startswith(prefix):
            continue
        rest = line[len(prefix) :]
        digits = len(rest) - len(rest.lstrip("0123456789"))
        if not digits:
            return None, None
        row, rest = int(rest[:digits]), rest[digits:]
        column = exc.diag.column_name
        if rest.startswith(", column "):
            rest = rest[len(", column ") :]
            candidates = [c for c in columns if rest.startswith(f"{c}: ") or rest == c]
            column = max(candidates, key=len) if candidates else column
        return row, column if column in columns else None
    return None, None


def _reason(exc: psycopg.Error) -> str:
    primary = exc.diag.message_primary or str(exc).splitlines()[0] if str(exc) else ""
    detail = exc.diag.message_detail
    text = f"{primary} ({detail.rstrip('.')})" if detail else primary
    return text or type(exc).__name__


def _data_hint(state: str) -> str:
    if state == _UNIQUE:
        return (
            "a unique key of the table rejects a repeated value: load with load_method "
            f"upsert on the stream's key properties, or change the table; {NOTHING_COMMITTED}"
        )
    return (
        "the record does not fit the column its stream's SCHEMA declared; fix the tap or its "
        f"schema and rerun; {NOTHING_COMMITTED}"
    )
