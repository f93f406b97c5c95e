"""``system_database: postgresql://...``: the run history in a Postgres database, via psycopg 3.

For teams whose runs happen on several machines, or who want to query the history next to
their data. The tables (``elt_runs``, ``elt_schema``) go to the connection's default schema
(``?options=-csearch_path%3Dops`` in the URL picks another); timestamps are timestamptz,
``rows`` and ``mappers`` jsonb. One connection, in autocommit mode, reused; a dropped one
is reopened on the next statement. psycopg is the ``postgres`` extra, imported only here.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from elt.errors import ConfigError, ServiceError
from elt.history.store import HistoryStore
from elt.state.urls import MASK, redact_url, url_secrets

__all__ = ["PostgresHistory"]

_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


class PostgresHistory(HistoryStore):
    """Run history in a Postgres database; connects on first use."""

    types: ClassVar[Mapping[str, str]] = {
        "text": "text",
        "int": "integer",
        "bigint": "bigint",
        "json": "jsonb",
        "time": "timestamptz",
        "float": "double precision",
    }

    def __init__(self, url: str) -> None:
        try:
            import psycopg
            from psycopg.rows import dict_row
        except ImportError:
            raise ConfigError(
                "system_database postgresql:// needs psycopg, which is not installed",
                where="plugins.yml: system_database",
                hint="pip install 'elt-core[postgres]'",
            ) from None
        self._psycopg: Any = psycopg
        self._dict_row: Any = dict_row
        self.url = url
        self.where = redact_url(url)
        self._connection: Any = None
        self._mutex = threading.RLock()

    def close(self) -> None:
        with self._mutex:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _execute(self, query: str, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
        statement = _PARAMETER.sub(r"%(\1)s", query)
        with self._mutex:
            try:
                with self._connect().cursor() as cursor:
                    cursor.execute(statement, dict(parameters))
                    return list(cursor.fetchall()) if cursor.description else []
            except self._psycopg.Error as error:
                if self._connection is not None and self._connection.closed:
                    self._connection = None  # reconnect on the next call
                raise self._failure(error) from None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._mutex, self._connect(migrate=False).transaction():
            self._execute("SELECT pg_advisory_xact_lock(hashtext('elt system schema'))", {})
            yield

    def _connect(self, *, migrate: bool = True) -> Any:
        if self._connection is not None:
            return self._connection
        try:
            self._connection = self._psycopg.connect(
                self.url, autocommit=True, connect_timeout=10, row_factory=self._dict_row
            )
        except self._psycopg.Error as error:
            raise self._failure(error) from None
        if migrate:
            try:
                self._migrate()
            except BaseException:
                self.close()
                raise
        return self._connection

    def _failure(self, error: Exception) -> ServiceError:
        said = (str(error).strip() or type(error).__name__).splitlines()[0][:300]
        for secret in url_secrets(self.url):
            said = said.replace(secret, MASK)
        return ServiceError(
            f"the system database could not be reached or refused us: {said}",
            where=self.where,
            hint="Check system_database in plugins.yml (host, port, user, database, password "
            "from PGPASSWORD or ~/.pgpass), and that the server is up",
        )
