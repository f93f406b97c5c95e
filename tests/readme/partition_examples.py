"""Scenarios of the taps' partition plans in their READMEs (``--partitions`` output).

Each example is the plan a tap prints; where this machine can produce the same plan (tap-csv
over the example's files, tap-postgres over a 100,000-row table) the real tap is run and its
plan must hold every partition the example shows; tap-http's needs a dated API, so its
example is checked against the contract (:mod:`elt.protocol.partitions`) and its own rule:
each window's id is its ends, ``partition_window`` (7 days) wide at most, up to ``bound``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.readme.examples import Example, run_bash
from tests.readme.scenarios import scenario


def _plan(found: Example) -> dict[str, Any]:
    """The example's plan; ``…`` stands for partitions left out."""
    text = found.text.replace(", …", "")
    plan: dict[str, Any] = json.loads(text)
    for stream, entry in plan["streams"].items():
        assert "bound" in entry, stream
        ids = [p["id"] for p in entry["partitions"]]
        assert all(isinstance(i, str) and i for i in ids), ids
        assert len(set(ids)) == len(ids), ids
    return plan


def _printed(command: str, cwd: Path) -> dict[str, Any]:
    done = run_bash(command, cwd)
    assert done.returncode == 0, done.stderr
    printed: dict[str, Any] = json.loads(done.stdout)
    return printed


@scenario("tap-csv-partitions")
def tap_csv_partitions(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The plan of an `orders` entity over data/2026/*/: one partition per file."""
    example = _plan(found)["streams"]["orders"]
    for partition in example["partitions"]:
        path = tmp_path / "data" / partition["id"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("id,name\n1,a\n")
    (tmp_path / "c.json").write_text(
        json.dumps({"files": [{"entity": "orders", "path": "data/*/*/*.csv", "keys": ["id"]}]})
    )
    printed = _printed("tap-csv --config c.json --partitions", tmp_path)["streams"]["orders"]
    assert printed["bound"] == example["bound"]
    assert [p["id"] for p in printed["partitions"]] == [p["id"] for p in example["partitions"]]


@scenario("tap-postgres-partitions")
def tap_postgres_partitions(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """`partitions: 4` over public.events, ids 1 to 100,000: the ranges the example shows."""
    pg_database = request.getfixturevalue("pg_database")
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("create table public.events (id bigint primary key, note text)")
        conn.execute("insert into public.events select i, 'n' from generate_series(1, 100000) i")
    options = {"public-events": {"partitions": 4}}
    config = {
        "sqlalchemy_url": pg_database,
        "filter_schemas": ["public"],
        "stream_options": options,
    }
    (tmp_path / "c.json").write_text(json.dumps(config))
    catalog = _printed("tap-postgres --config c.json --discover", tmp_path)
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] == "public-events"
    (tmp_path / "k.json").write_text(json.dumps(catalog))
    printed = _printed("tap-postgres --config c.json --catalog k.json --partitions", tmp_path)
    example = _plan(found)["streams"]["public-events"]
    plan = printed["streams"]["public-events"]
    assert plan["bound"] == example["bound"]
    for partition in example["partitions"]:
        assert partition in plan["partitions"], (partition, plan["partitions"])


@scenario("tap-http-windows")
def tap_http_windows(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    plan = _plan(found)["streams"]["items"]
    bound = datetime.fromisoformat(plan["bound"])
    for window in plan["partitions"]:
        start = datetime.fromisoformat(window["start"])
        end = datetime.fromisoformat(window["end"])
        assert window["id"] == f"{window['start']}..{window['end']}"
        assert start < end <= bound
        assert end - start <= timedelta(days=7)
