"""Third-party Singer plugins from PyPI run unchanged under elt, next to ours.

End to end through the real CLI: ``elt install`` builds a venv per plugin from PyPI (and ours
from this checkout), ``elt run`` pipes one into the other. Our tap-csv feeds target-jsonl
(singer-python), meltanolabs-target-csv (singer-sdk) and pipelinewise-target-postgres
(psycopg2) into a real Postgres; a singer-sdk tap from PyPI (tap-jsonl) feeds our
target-postgres; the mapper meltano-map-transform sits between tap-csv and target-postgres.
The versions are pinned to ones known to install on Python 3.11.

One project is installed once for the module (``-j``, in parallel); target-jsonl is left
out of that install on purpose: ``elt run`` must install it by itself.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.fixtures.cli import run_elt

ORDERS = (
    "id,name,amount,updated_at\n"
    '1,"Zoë ""Z"" Müller",10.50,2026-01-01T00:00:00Z\n'
    '2,"two, with comma",3.25,2026-01-02T00:00:00Z\n'
    "3,three,0.10,2026-01-03T00:00:00Z\n"
)
EVENTS = [{"id": 1, "kind": "click", "score": 1.5}, {"id": 2, "kind": "view", "score": 2.0}]

PROJECT = """version: 1
plugins:
  taps:
    - name: tap-csv
      config:
        files: [{entity: orders, path: data/orders.csv, keys: [id]}]
    - name: tap-jsonl
      pip_url: tap-jsonl==0.3.1
      config: {path: data/events.jsonl, stream_name: events, primary_keys: [id]}
  targets:
    - name: target-jsonl
      pip_url: target-jsonl==0.1.4
      config: {destination_path: out/jsonl, do_timestamp_file: false}
    - name: target-csv
      pip_url: meltanolabs-target-csv==0.5.0
      config: {output_path: out/csv}
    - name: target-postgres-pipelinewise
      pip_url: pipelinewise-target-postgres==2.1.2
      executable: target-postgres
      config: {default_target_schema: pipelinewise}
    - name: target-postgres
      config: {default_target_schema: ours}
  mappers:
    - name: meltano-map-transform
      pip_url: meltano-map-transform==0.12.3
      config:
        stream_maps:
          orders:
            __alias__: orders_mapped
            name: md5(name)
            amount: __NULL__
"""


def elt(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = run_elt(project, *args, env=env)
    assert done.returncode == 0, f"elt {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("third-party")
    (root / "plugins.yml").write_text(PROJECT)
    (root / "data").mkdir()
    (root / "data" / "orders.csv").write_text(ORDERS, encoding="utf-8")
    lines = "".join(json.dumps(event) + "\n" for event in EVENTS)
    (root / "data" / "events.jsonl").write_text(lines)
    for folder in ("jsonl", "csv"):
        (root / "out" / folder).mkdir(parents=True)
    plugins = ["tap-csv", "tap-jsonl", "target-csv", "target-postgres-pipelinewise"]
    report = elt(root, "install", "-j", "4", *plugins, "meltano-map-transform", "target-postgres")
    assert [line.split()[1] for line in report.splitlines()[1:]] == ["installed"] * 6
    return root


def test_tap_csv_into_target_jsonl_which_elt_run_installs_by_itself(project: Path) -> None:
    venv = project / ".elt" / "plugins" / "target" / "target-jsonl" / "venv"
    assert not venv.exists()
    elt(project, "run", "tap-csv", "target-jsonl", "--state-id", "to-jsonl")
    assert (venv / "bin" / "target-jsonl").exists()
    lines = (project / "out" / "jsonl" / "orders.jsonl").read_text(encoding="utf-8")
    records = [json.loads(line) for line in lines.splitlines()]
    assert [(r["id"], r["name"]) for r in records] == [
        (1, 'Zoë "Z" Müller'),
        (2, "two, with comma"),
        (3, "three"),
    ]
    assert json.loads(elt(project, "state", "get", "to-jsonl"))["bookmarks"]["orders"]


def test_tap_csv_into_meltanolabs_target_csv(project: Path) -> None:
    elt(project, "run", "tap-csv", "target-csv", "--state-id", "to-csv")
    with (project / "out" / "csv" / "orders.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [(r["id"], r["name"], r["amount"]) for r in rows] == [
        ("1", 'Zoë "Z" Müller', "10.50"),
        ("2", "two, with comma", "3.25"),
        ("3", "three", "0.10"),
    ]


def pg_settings(prefix: str, url: str) -> dict[str, str]:
    """``<PREFIX>_HOST`` etc. for a plugin configured with libpq parts."""
    parts = urlsplit(url)
    return {
        f"{prefix}_HOST": parts.hostname or "127.0.0.1",
        f"{prefix}_PORT": str(parts.port or 5432),
        f"{prefix}_USER": parts.username or "postgres",
        f"{prefix}_DBNAME": parts.path.lstrip("/"),
        # pipelinewise requires the key; a server with trust auth never asks for it
        f"{prefix}_PASSWORD": parts.password or "unused-with-trust-auth",
    }


def test_tap_csv_into_pipelinewise_target_postgres(project: Path, pg_database: str) -> None:
    env = pg_settings("TARGET_POSTGRES_PIPELINEWISE", pg_database)
    run = ["run", "tap-csv", "target-postgres-pipelinewise", "--state-id", "to-pipelinewise"]
    elt(project, *run, env=env)
    with psycopg.connect(pg_database) as conn:
        query = "select id, name, amount from pipelinewise.orders order by id"
        rows = [(int(i), name, float(amount)) for i, name, amount in conn.execute(query)]
    # pipelinewise maps integer to numeric and number to double precision: its choice
    assert rows == [(1, 'Zoë "Z" Müller', 10.5), (2, "two, with comma", 3.25), (3, "three", 0.1)]


def test_a_singer_sdk_tap_from_pypi_into_our_target_postgres(
    project: Path, pg_database: str
) -> None:
    env = {"TARGET_POSTGRES_SQLALCHEMY_URL": pg_database}
    elt(project, "run", "tap-jsonl", "target-postgres", "--state-id", "from-pypi", env=env)
    with psycopg.connect(pg_database) as conn:
        rows = conn.execute("select id, kind, score from ours.events order by id").fetchall()
    assert rows == [(1, "click", 1.5), (2, "view", 2.0)]


def test_a_mapper_from_pypi_between_tap_csv_and_our_target_postgres(
    project: Path, pg_database: str
) -> None:
    env = {"TARGET_POSTGRES_SQLALCHEMY_URL": pg_database}
    run = ["run", "tap-csv", "meltano-map-transform", "target-postgres", "--state-id", "mapped"]
    elt(project, *run, env=env)
    with psycopg.connect(pg_database) as conn:
        rows = conn.execute("select id, name from ours.orders_mapped order by id").fetchall()
        columns = [
            name
            for (name,) in conn.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'ours' and table_name = 'orders_mapped'"
            )
        ]
    names = ['Zoë "Z" Müller', "two, with comma", "three"]
    assert rows == [(i + 1, hashlib.md5(n.encode()).hexdigest()) for i, n in enumerate(names)]
    assert "amount" not in columns
    assert json.loads(elt(project, "state", "get", "mapped"))["bookmarks"]["orders"]
