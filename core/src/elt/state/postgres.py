"""``postgresql://user@host/db``: state in two tables of a Postgres database, through psycopg 3.

``<schema>.elt_state(state_id text primary key, value jsonb, updated_at timestamptz)``
holds the bookmarks; each write is one upsert, its own transaction, so a reader sees the
old value or the new one. ``<schema>.elt_state_lock(state_id, holder, host, token, since,
expires_at)`` holds the leases: taking a lock is one ``INSERT ... ON CONFLICT DO UPDATE
... WHERE expires_at < now()``, atomic on the server and judged by the server's clock,
so of several runs racing for an id exactly one gets its row back. A row rather than
``pg_try_advisory_lock`` because an advisory lock belongs to one connection: a dropped
connection (a pooler, a network blip) would free it silently in the middle of a run,
while a lease says how long it holds and is renewed like the object stores' locks.

The tables (and the schema, default ``public``) are created on first use. The URL is
handed to libpq as is (``?sslmode=require`` and friends work; ``PGPASSWORD`` and
``~/.pgpass`` too); every message shows it with the password masked.

psycopg is the ``postgres`` extra (``pip install 'elt-core[postgres]'``), imported only when a
project uses this backend.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC
from fnmatch import fnmatchcase
from typing import Any

from elt.errors import EltError, ServiceError, UsageError
from elt.state.document import decode_stored, encode_state
from elt.state.lease import (
    DEFAULT_LEASE_SECONDS,
    LeaseKeeper,
    LockRecord,
    locked_error,
    taking_over,
)
from elt.state.urls import MASK, redact_url, url_secrets

__all__ = ["DEFAULT_SCHEMA", "PostgresStateStore"]

DEFAULT_SCHEMA = "public"
_log = logging.getLogger(__name__)

_CREATE = (
    """CREATE TABLE IF NOT EXISTS {schema}.elt_state (
        state_id text PRIMARY KEY,
        value jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now())""",
    """CREATE TABLE IF NOT EXISTS {schema}.elt_state_lock (
        state_id text PRIMARY KEY,
        holder text NOT NULL,
        host text NOT NULL,
        token text NOT NULL,
        since timestamptz NOT NULL,
        expires_at timestamptz NOT NULL)""",
)
_TAKE = """
    INSERT INTO {schema}.elt_state_lock AS held
        (state_id, holder, host, token, since, expires_at)
    VALUES (%(id)s, %(holder)s, %(host)s, %(token)s,
        now(), now() + make_interval(secs => %(lease)s))
    ON CONFLICT (state_id) DO UPDATE SET
        holder = excluded.holder, host = excluded.host, token = excluded.token,
        since = excluded.since, expires_at = excluded.expires_at
    WHERE held.expires_at < now() OR (%(force)s AND held.token = %(seen)s)
    RETURNING token"""


class PostgresStateStore:
    """A :class:`~elt.state.store.StateStore` in a Postgres database; one connection, reused.

    The connection is opened on first use and shared (under a lock) with the thread that
    renews a lease; :meth:`close` closes it.
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str = DEFAULT_SCHEMA,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        import psycopg  # the postgres extra; open_state_store says so when it is missing
        from psycopg import sql

        self._psycopg: Any = psycopg
        self.url = url
        self.where = redact_url(url)
        self.schema = schema
        self.lease_seconds = lease_seconds
        self._schema_sql = sql.Identifier(schema)
        self._sql: Any = sql
        self._connection: Any = None
        self._mutex = threading.Lock()

    def get(self, state_id: str) -> dict[str, Any] | None:
        rows = self._run(
            "SELECT value::text FROM {schema}.elt_state WHERE state_id = %s", (state_id,)
        )
        if not rows:
            return None
        return decode_stored(
            rows[0][0].encode(), state_id=state_id, where=f"{self.where} ({self.schema}.elt_state)"
        )

    def set(self, state_id: str, state: Mapping[str, Any]) -> None:
        try:
            text = encode_state(state).decode()
        except ValueError as error:
            raise UsageError(f"the state of {state_id!r} is not JSON: {error}") from None
        self._run(
            """INSERT INTO {schema}.elt_state (state_id, value, updated_at)
               VALUES (%s, %s::jsonb, now())
               ON CONFLICT (state_id) DO UPDATE SET value = excluded.value, updated_at = now()""",
            (state_id, text),
        )

    def clear(self, state_id: str) -> bool:
        rows = self._run(
            "DELETE FROM {schema}.elt_state WHERE state_id = %s RETURNING 1", (state_id,)
        )
        return bool(rows)

    def list(self, pattern: str = "*") -> tuple[str, ...]:
        rows = self._run("SELECT state_id FROM {schema}.elt_state ORDER BY state_id", ())
        return tuple(sorted(row[0] for row in rows if fnmatchcase(row[0], pattern)))

    def close(self) -> None:
        with self._mutex:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    @contextlib.contextmanager
    def lock(self, state_id: str, *, holder: str, force: bool = False) -> Iterator[None]:
        record = LockRecord.new(holder, self.lease_seconds)
        existing = self._holder(state_id)
        live = existing is not None and not existing.expired()
        if live and not force:
            raise locked_error(state_id, existing)
        if existing is not None:
            taking_over(state_id, existing, force=live, where=self.where)
        taken = self._run(
            _TAKE,
            {
                "id": state_id,
                "holder": record.holder,
                "host": record.host,
                "token": record.token,
                "lease": self.lease_seconds,
                "force": force,
                "seen": existing.token if existing is not None else "",
            },
        )
        if not taken:
            raise locked_error(state_id, self._holder(state_id))

        def renew() -> bool:
            rows = self._run(
                """UPDATE {schema}.elt_state_lock
                   SET expires_at = now() + make_interval(secs => %s)
                   WHERE state_id = %s AND token = %s RETURNING 1""",
                (self.lease_seconds, state_id, record.token),
            )
            return bool(rows)

        try:
            with LeaseKeeper(renew, interval=self.lease_seconds / 3, what=repr(state_id)):
                yield
        finally:
            try:
                self._run(
                    "DELETE FROM {schema}.elt_state_lock WHERE state_id = %s AND token = %s",
                    (state_id, record.token),
                )
            except EltError as error:
                _log.warning(
                    "could not release the lock of %r (it expires by itself): %s", state_id, error
                )

    def _holder(self, state_id: str) -> LockRecord | None:
        rows = self._run(
            """SELECT holder, host, token, since, expires_at
               FROM {schema}.elt_state_lock WHERE state_id = %s""",
            (state_id,),
        )
        if not rows:
            return None
        holder, host, token, since, expires = rows[0]
        return LockRecord(holder, host, token, since.astimezone(UTC), expires.astimezone(UTC))

    def _run(self, query: str, parameters: Any) -> Sequence[tuple[Any, ...]]:
        """Run one statement in its own transaction; its rows (empty when it returns none)."""
        statement = self._sql.SQL(query).format(schema=self._schema_sql)
        with self._mutex:
            try:
                connection = self._connect()
                with connection.cursor() as cursor:
                    cursor.execute(statement, parameters)
                    return cursor.fetchall() if cursor.description else ()
            except self._psycopg.Error as error:
                if self._connection is not None and self._connection.closed:
                    self._connection = None  # reconnect on the next call
                raise self._failure(error) from None

    def _connect(self) -> Any:
        if self._connection is None:
            connection = self._psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            try:
                self._create_tables(connection)
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    def _create_tables(self, connection: Any) -> None:
        """Create the tables that are missing, serialised so two first runs do not collide.

        Existing tables are looked up first: CREATE ... IF NOT EXISTS needs the CREATE
        privilege even when there is nothing to create.
        """
        if not self._missing_tables(connection):
            return
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(hashtext('elt_state tables'))")
            exists = connection.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)
            ).fetchone()
            if exists is None:
                connection.execute(self._sql.SQL("CREATE SCHEMA {}").format(self._schema_sql))
            for query in _CREATE:
                connection.execute(self._sql.SQL(query).format(schema=self._schema_sql))

    def _missing_tables(self, connection: Any) -> frozenset[str]:
        rows = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (self.schema,)
        ).fetchall()
        return frozenset({"elt_state", "elt_state_lock"} - {row[0] for row in rows})

    def _failure(self, error: Exception) -> ServiceError:
        said = (str(error).strip() or type(error).__name__).splitlines()[0][:300]
        for secret in url_secrets(self.url):
            said = said.replace(secret, MASK)
        if isinstance(error, self._psycopg.OperationalError):
            return ServiceError(
                f"the state database could not be reached or refused us: {said}",
                where=self.where,
                hint="Check state_backend in plugins.yml (host, port, user, database, password "
                "from PGPASSWORD or ~/.pgpass), and that the server is up",
            )
        return ServiceError(
            f"the state database failed: {said}",
            where=self.where,
            hint=f"The user needs to create tables in schema {self.schema!r} (or set "
            "state_backend_settings.schema), and to read and write them",
        )
