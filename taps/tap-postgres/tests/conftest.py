"""Running tap-postgres against a fresh real database per test.

``source`` is the test's database (from the workspace's ``pg_database`` fixture) with a
helper to run SQL; ``sync`` runs ``TapPostgres`` in this process; ``run_tap`` runs the
installed ``tap-postgres`` executable as a scheduler would. Output is parsed with elt's
reader, so numbers keep their digits.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from tap_postgres import TapPostgres

from tests.fixtures.taps import TapRun, run_executable, sync_in_process

TAP = Path(sys.executable).with_name("tap-postgres")


class Source:
    """The test's source database: its URL, a tap config for it, and SQL to set it up."""

    def __init__(self, url: str) -> None:
        self.url = url

    def config(self, **settings: Any) -> dict[str, Any]:
        return {"sqlalchemy_url": self.url, **settings}

    def execute(self, statement: str, params: Any = None) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(statement, params)

    def query(self, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(statement, params).fetchall()


@pytest.fixture
def source(pg_database: str) -> Source:
    return Source(pg_database)


@pytest.fixture
def sync() -> Callable[..., TapRun]:
    """Sync ``TapPostgres`` in process: ``sync(config, state=None, catalog=None)``."""

    def run(
        config: dict[str, Any],
        state: dict[str, Any] | None = None,
        catalog: dict[str, Any] | None = None,
    ) -> TapRun:
        return sync_in_process(TapPostgres(config=config, state=state, catalog=catalog))

    return run


@pytest.fixture
def run_tap(tmp_path: Path) -> Callable[..., TapRun]:
    """Run the ``tap-postgres`` executable: ``run_tap(config, *args, state=, catalog=)``."""

    def run(config: dict[str, Any], *args: str, **files: dict[str, Any] | None) -> TapRun:
        return run_executable(TAP, tmp_path, config, *args, **files)

    return run
