"""tap-postgres' session: :mod:`elt.sdk.postgres`, read-only, and errors of its queries.

Every session reads in UTC with ISO output styles, so values leave the server as the text
the JSON Schema formats promise (``date-time`` with its offset, ISO 8601 ``interval``), and
is read-only: a tap has no business writing.

A session lost mid-read (a server restart, a failover, a terminated backend, a network
blip) is replaced: :func:`reconnect` tries again after each of ``RECONNECT_DELAYS_S`` and
the stream resumes after the last row it sent. A first connection that fails (wrong
password, unreachable host) is not retried: that needs a person, not a wait.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

import psycopg

from elt.errors import ConfigError, EltError, ServiceError
from elt.sdk import postgres
from elt.sdk.postgres import describe

__all__ = ["APPLICATION_NAME", "RECONNECT_DELAYS_S", "connect", "query_failure", "reconnect"]

APPLICATION_NAME: Final = "tap-postgres"
# Seconds to wait before each attempt to open a session replacing a lost one. A read is
# retried as many times in a row, if it loses its session again before it gets a row.
RECONNECT_DELAYS_S: Final = (0.5, 2.0, 5.0)
SESSION_SETUP: Final = (
    "SET TIME ZONE 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'iso_8601'",
    "SET extra_float_digits = 1",
    "SET default_transaction_read_only = on",
)


def connect(config: Mapping[str, Any]) -> psycopg.Connection[Any]:
    """Open a read-only session in UTC with ISO output, or raise a :class:`ServiceError`."""
    return postgres.connect(config, application=APPLICATION_NAME, session=SESSION_SETUP)


def reconnect(config: Mapping[str, Any]) -> psycopg.Connection[Any]:
    """A new session after one was lost, after each delay of ``RECONNECT_DELAYS_S`` until
    one opens; the last attempt's :class:`ServiceError` when none does."""
    *waits, last = RECONNECT_DELAYS_S
    for delay in waits:
        time.sleep(delay)
        with contextlib.suppress(ServiceError):
            return connect(config)
    time.sleep(last)
    return connect(config)


def query_failure(
    exc: psycopg.Error,
    *,
    relation: str,
    config: Mapping[str, Any],
    stream: str | None = None,
    clauses: Sequence[str] = (),
) -> EltError:
    """The one-paragraph error for a query on ``relation`` that the server refused, of the
    class :func:`elt.sdk.postgres.error_class` gives it."""
    reason = postgres.reason(exc)
    user = describe(config).split("@", 1)[0]
    kind = postgres.error_class(exc)
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return kind(
            f"permission denied reading {relation} as {user}: {reason}",
            where=describe(config),
            hint=f"grant it: GRANT USAGE ON SCHEMA … and GRANT SELECT ON {relation} TO {user}; "
            "or deselect the stream",
        )
    if clauses and kind is ConfigError:
        return kind(
            f"Postgres refused the query on {relation} with its custom WHERE clauses: {reason}",
            where=f"stream_options.{stream}.custom_where_clauses",
            hint="each clause is a SQL condition on the table's columns, like amount > 0",
        )
    if isinstance(exc, psycopg.errors.UndefinedTable | psycopg.errors.UndefinedColumn):
        return kind(
            f"{relation} is not what the catalog says: {reason}",
            where=describe(config),
            hint="the table or a column was dropped or renamed since discovery: run "
            "tap-postgres --discover again, or deselect the stream",
        )
    if isinstance(exc, psycopg.OperationalError) and kind is ServiceError:
        return kind(
            f"lost the connection to Postgres at {describe(config)} while reading {relation}: "
            f"{reason}",
            hint="rerun: the sync continues from the last STATE written",
        )
    return kind(f"Postgres refused the query on {relation}: {reason}", where=describe(config))
