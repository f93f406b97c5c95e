"""The default run history: a SQLite file in the project, ``.elt/system.db``.

WAL mode, so ``elt runs list`` or ``elt logs --follow`` read while runs write, and several
runs (of different state ids) write one after the other without "database is locked":
each statement is its own short transaction and waits up to 30 s for another writer. The
file is created mode 0600 (errors quote plugin output). The standard library's sqlite3:
no dependency.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from elt.errors import ServiceError
from elt.history.store import HistoryStore

__all__ = ["SqliteHistory"]

_BUSY_SECONDS = 30.0


class SqliteHistory(HistoryStore):
    """Run history in one SQLite file; the connection is opened on first use."""

    types: ClassVar[Mapping[str, str]] = {
        "text": "TEXT",
        "int": "INTEGER",
        "bigint": "INTEGER",
        "json": "TEXT",
        "time": "TEXT",
        "float": "REAL",
    }

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)
        self._connection: sqlite3.Connection | None = None
        self._mutex = threading.RLock()

    def close(self) -> None:
        with self._mutex:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _execute(self, query: str, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
        with self._mutex:
            try:
                cursor = self._connect().execute(query, dict(parameters))
                return [dict(row) for row in cursor.fetchall()]
            except sqlite3.Error as error:
                raise self._failure(error) from None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._mutex:
            connection = self._connect(migrate=False)
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise self._failure(error) from None
            try:
                yield
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def _connect(self, *, migrate: bool = True) -> sqlite3.Connection:
        if self._connection is not None:
            return self._connection
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as error:
            raise ServiceError(
                f"cannot create the system database: {error.strerror or error}",
                where=self.where,
                hint="Check that the project's .elt directory is writable",
            ) from None
        try:
            connection = sqlite3.connect(
                self.path, timeout=_BUSY_SECONDS, isolation_level=None, check_same_thread=False
            )
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as error:
            raise self._failure(error) from None
        self._connection = connection
        if migrate:
            try:
                self._migrate()
            except BaseException:
                self.close()
                raise
        return connection

    def _failure(self, error: sqlite3.Error) -> ServiceError:
        return ServiceError(
            f"the system database failed: {error}",
            where=self.where,
            hint="It holds the run history only (no state): if it is damaged, move it away "
            "and elt starts a new one",
        )
