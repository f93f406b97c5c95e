"""Scenarios of the README's "From Python" example: the block run as a script, with
``python``, in a project like the one it describes (tap-csv into a real Postgres)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import psycopg
import pytest

from tests.readme.examples import Example, run_bash
from tests.readme.scenarios import libpq_environment, scenario


@scenario("from-python")
def from_python(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The run loads into the schema ``raw`` (the config override), prints its status and
    rows, the bookmark, and the failed run's class, exit code and run id (port 9 refuses:
    75, retriable)."""
    url = request.getfixturevalue("pg_database")
    database = libpq_environment(url)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "orders.csv").write_text("id,name\n1,one\n2,two\n", encoding="utf-8")
    (tmp_path / "plugins.yml").write_text(
        textwrap.dedent(
            f"""\
            version: 1
            default_environment: dev
            environments: [{{name: dev}}]
            plugins:
              taps:
                - name: tap-csv
                  config:
                    files: [{{entity: orders, path: data/orders.csv, keys: [id]}}]
              targets:
                - name: target-postgres
                  config:
                    host: {database["PGHOST"]}
                    port: {database["PGPORT"]}
                    user: {database["PGUSER"]}
                    database: {database["PGDATABASE"]}
            """
        )
    )
    (tmp_path / "example.py").write_text(found.text)
    done = run_bash(f"{sys.executable} example.py", tmp_path)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    lines = done.stdout.splitlines()
    assert any(line.endswith("success {'orders': 2}") for line in lines), lines
    assert "rows after" in done.stdout
    assert any(line.startswith("{'bookmarks': {'orders':") for line in lines), lines
    assert lines[-1].startswith("PluginError 75 True 2"), lines  # the run id: 2026…Z-…
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from raw.orders").fetchone() == (2,)
