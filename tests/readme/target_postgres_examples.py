"""Scenarios of targets/target-postgres/README.md's examples (see :mod:`tests.readme.examples`)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.readme.examples import BIN, Example, run_bash
from tests.readme.scenarios import libpq_environment, scenario


@scenario("target-postgres-pipe")
def pipe(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The shell pipe, with libpq's variables pointing at the test's database."""
    pg_database = request.getfixturevalue("pg_database")
    done = run_bash(found.text, tmp_path, libpq_environment(pg_database))
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    with psycopg.connect(pg_database) as conn:
        rows = conn.execute("SELECT id, name FROM raw.people ORDER BY id").fetchall()
    assert rows == [(1, "Ada"), (2, "Grace")]
    assert "people.csv" in (tmp_path / "state.json").read_text()
    assert "interpret_content_encoding" in done.stdout  # --about lists the settings


@scenario("target-postgres-stream-maps")
def stream_maps(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The plugins.yml fragment's config, given to the target with a test database."""
    pg_database = request.getfixturevalue("pg_database")
    [plugin] = yaml.safe_load(found.text)
    assert plugin["name"] == "target-postgres"
    config = {**plugin["config"], "sqlalchemy_url": pg_database}
    properties = {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "email": {"type": "string"},
        "age": {"type": "integer"},
    }
    messages = [
        {"type": "SCHEMA", "stream": "people", "schema": {"properties": properties},
         "key_properties": ["id"]},
        {"type": "RECORD", "stream": "people",
         "record": {"id": 1, "name": "Ada", "email": "ada@example.com", "age": 36}},
        {"type": "RECORD", "stream": "people",
         "record": {"id": 2, "name": "Kid", "email": "kid@example.com", "age": 9}},
    ]  # fmt: skip
    done = subprocess.run(
        [str(BIN / "target-postgres"), "--config", json.dumps(config)],
        input="".join(json.dumps(m) + "\n" for m in messages),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with psycopg.connect(pg_database) as conn:
        rows = conn.execute("SELECT * FROM customers").fetchall()
        columns = [c.name for c in conn.execute("SELECT * FROM customers LIMIT 0").description]
    assert columns == ["id", "age", "email_hash"]
    assert rows == [(1, 36, hashlib.md5(b"ada@example.com").hexdigest())]
