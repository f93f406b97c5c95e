"""Loading Singer messages into a real, fresh Postgres database per test.

``load`` runs :class:`TargetPostgres` in this process (fast, for data behaviour) and returns
the STATE messages it wrote; ``cli`` runs the installed ``target-postgres`` executable in a
subprocess, as a scheduler would, for exit codes and error messages. ``db`` queries the
test's database. Databases come from the workspace's ``pg_database`` fixture.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import psycopg
import pytest
from target_postgres import TargetPostgres

from tests.fixtures.services import free_port, throwaway_pg_cluster, unique_name
from tests.fixtures.targets import CliRun, run_executable

TARGET = Path(sys.executable).with_name("target-postgres")
Message = dict[str, Any]


class Messages:
    """Builders for Singer messages, and their wire form."""

    @staticmethod
    def schema(stream: str, properties: dict[str, Any], keys: Sequence[str] = ("id",)) -> Message:
        return {
            "type": "SCHEMA",
            "stream": stream,
            "schema": {"type": "object", "properties": properties},
            "key_properties": list(keys),
        }

    @staticmethod
    def record(stream: str, values: dict[str, Any], **extra: Any) -> Message:
        return {"type": "RECORD", "stream": stream, "record": values, **extra}

    @staticmethod
    def state(value: dict[str, Any]) -> Message:
        return {"type": "STATE", "value": value}

    @staticmethod
    def activate(stream: str, version: int) -> Message:
        return {"type": "ACTIVATE_VERSION", "stream": stream, "version": version}

    @staticmethod
    def lines(messages: Sequence[Message] | bytes) -> bytes:
        """The JSON lines a tap would write (bytes pass through untouched)."""
        if isinstance(messages, bytes):
            return messages
        return b"".join(orjson.dumps(m) + b"\n" for m in messages)


singer = Messages.lines


@pytest.fixture
def m() -> type[Messages]:
    """Message builders: ``m.schema(...)``, ``m.record(...)``, ``m.state(...)``, ``m.lines``."""
    return Messages


@pytest.fixture
def target_executable() -> Path:
    """The installed ``target-postgres`` console script."""
    return TARGET


class Database:
    """Queries against one test database."""

    def __init__(self, url: str) -> None:
        self.url = url

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]

    def execute(self, sql: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def columns(self, schema: str, table: str) -> dict[str, str]:
        """Column name → type of a table, in order."""
        return dict(
            self.rows(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = (quote_ident(%s) || '.' || quote_ident(%s))::regclass "
                "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                (schema, table),
            )
        )

    def tables(self, schema: str = "public") -> list[str]:
        return [
            name
            for (name,) in self.rows(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1", (schema,)
            )
        ]


@dataclass
class Loaded:
    """What an in-process load wrote to stdout."""

    states: list[Any]


@pytest.fixture
def db(pg_database: str) -> Database:
    return Database(pg_database)


@pytest.fixture
def load(pg_database: str) -> Callable[..., Loaded]:
    """``load(messages, **settings)``: run the target in process; return its STATEs."""

    def run(messages: Sequence[Message] | bytes, **settings: Any) -> Loaded:
        target = TargetPostgres(config={"sqlalchemy_url": pg_database, **settings})
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        with redirect_stdout(out):
            target.listen(io.BytesIO(singer(messages)))  # type: ignore[arg-type]
        out.flush()
        written = out.buffer.getvalue().decode()  # type: ignore[attr-defined]
        return Loaded([json.loads(line) for line in written.splitlines() if line])

    return run


@pytest.fixture
def cli(pg_database: str, tmp_path: Path) -> Callable[..., CliRun]:
    """``cli(messages, **settings)``: run the ``target-postgres`` executable on them."""

    def run(messages: Sequence[Message] | bytes, **settings: Any) -> CliRun:
        config = {"sqlalchemy_url": pg_database, **settings}
        return run_executable("target-postgres", config, singer(messages), tmp_path)

    return run


@pytest.fixture(scope="session")
def password_pg() -> Iterator[str]:
    """A private cluster that checks passwords (scram-sha-256); user ``loader``, ``s3cret``.

    The workspace's server trusts every local connection, so a wrong password would be
    accepted there.
    """
    with throwaway_pg_cluster(user="loader", password="s3cret") as url:
        yield url


def committed_counts(stderr: str) -> dict[str, list[int]]:
    """Per stream, the rows of each ``record_count`` METRIC tagged committed, in order."""
    counts: dict[str, list[int]] = {}
    for line in stderr.splitlines():
        _, mark, text = line.partition("METRIC: ")
        point = json.loads(text) if mark else {}
        tags = point.get("tags") or {}
        if point.get("metric") == "record_count" and tags.get("committed"):
            counts.setdefault(tags["stream"], []).append(point["value"])
    return counts


@pytest.fixture
def committed() -> Callable[[str], dict[str, list[int]]]:
    """``committed(stderr)``: the committed row counts a target logged, per stream."""
    return committed_counts


@pytest.fixture
def unprivileged_url(pg_database: str) -> Iterator[str]:
    """The test database's URL for a new role that may log in and read, but not create."""
    role = unique_name("elt_reader", sep="_")
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')  # type: ignore[arg-type]
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    parts = urlsplit(pg_database)
    yield parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port or 5432}").geturl()
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(f'DROP OWNED BY "{role}"')  # type: ignore[arg-type]
        conn.execute(f'DROP ROLE "{role}"')  # type: ignore[arg-type]


@pytest.fixture
def unused_port() -> int:
    return free_port()
