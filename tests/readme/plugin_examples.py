"""Scenarios of the plugins' README examples (see :mod:`tests.readme.examples`)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import psycopg
import pytest

from tests.readme.examples import Example, example, run_bash
from tests.readme.scenarios import assert_config_accepted, scenario


def ok(script: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = run_bash(script, cwd, env)
    assert done.returncode == 0, f"$ {script}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def messages(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


# --- tap-csv ----------------------------------------------------------------------------


def csv_files_of_the_config_example(root: Path) -> None:
    """The files tap-csv's configuration example names: a customers CSV and gzipped,
    semicolon-separated cp1252 order exports in dated folders."""
    (root / "data").mkdir(parents=True)
    (root / "data" / "customers.csv").write_text("id,name\n1,Ada\n2,Grace\n")
    for day, rows in (("2026-01-01", "1;Müller;10.50;2026-01-01T10:00:00Z\n"),
                      ("2026-01-02", "2;Øre;7;2026-01-02T09:00:00Z\n")):  # fmt: skip
        folder = root / "exports" / day
        folder.mkdir(parents=True)
        text = "order_id;customer;amount;updated_at\n" + rows
        (folder / f"orders-{day}.csv.gz").write_bytes(gzip.compress(text.encode("cp1252")))


@scenario("tap-csv-config")
def tap_csv_config(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    csv_files_of_the_config_example(tmp_path)
    (tmp_path / "config.json").write_text(found.text)
    records = [m for m in messages(ok("tap-csv --config config.json", tmp_path))
               if m["type"] == "RECORD"]  # fmt: skip
    customers = [m["record"] for m in records if m["stream"] == "customers"]
    orders = [m["record"] for m in records if m["stream"] == "orders"]
    assert customers == [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Grace"}]
    assert [(o["order_id"], o["customer"], o["amount"]) for o in orders] == [
        (1, "Müller", 10.5),
        (2, "Øre", 7),
    ]


@scenario("tap-csv-commands")
def tap_csv_commands(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """With the configuration example as config.json and the state a first run through a
    target left: discovery writes the catalog, and the incremental run moves nothing new."""
    csv_files_of_the_config_example(tmp_path)
    (tmp_path / "config.json").write_text(example("tap-csv-config").text)
    ok("tap-csv --config config.json | target-files --config '{\"path\": \"lake\"}' > state.json",
       tmp_path)  # fmt: skip
    output = ok(found.text, tmp_path)
    catalog = json.loads((tmp_path / "catalog.json").read_text())
    assert sorted(s["tap_stream_id"] for s in catalog["streams"]) == ["customers", "orders"]
    assert output.startswith("Name: tap-csv\n")  # --about
    assert '"type":"RECORD"' not in output.replace(" ", "")  # nothing changed since the state


@scenario("tap-csv-batch-config")
def tap_csv_batch_config(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("id,amount\n1,10.5\n2,7\n")
    (tmp_path / "config.json").write_text(found.text)
    sent = messages(ok("tap-csv --config config.json", tmp_path))
    assert not [m for m in sent if m["type"] == "RECORD"]
    [batch] = [m for m in sent if m["type"] == "BATCH"]
    [url] = batch["manifest"]  # type: ignore[misc]
    path = Path(str(url).removeprefix("file://"))
    assert path.parent == (tmp_path / "batches").resolve()
    assert path.name.startswith("nightly-")
    assert path.read_text().splitlines()[1:] == ["1,10.5", "2,7"]


# --- tap-postgres -------------------------------------------------------------------------


@scenario("tap-postgres-commands")
def tap_postgres_commands(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """config.json reads the test database, target.json loads another schema of it; the
    state file is the empty state a first run starts from."""
    pg_database = request.getfixturevalue("pg_database")
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("create table public.items (id int primary key, name text)")
        conn.execute("insert into public.items values (1, 'one'), (2, 'two')")
    (tmp_path / "config.json").write_text(
        json.dumps({"sqlalchemy_url": pg_database, "filter_schemas": ["public"]})
    )
    (tmp_path / "target.json").write_text(
        json.dumps({"sqlalchemy_url": pg_database, "default_target_schema": "copied"})
    )
    (tmp_path / "state.json").write_text("{}\n")
    ok(found.text, tmp_path)
    with psycopg.connect(pg_database) as conn:
        rows = conn.execute("select id, name from copied.items order by id").fetchall()
    assert rows == [(1, "one"), (2, "two")]


@scenario("tap-postgres-ssh-tunnel")
def tap_postgres_ssh_tunnel(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """A bastion this machine cannot reach: the example must pass the tap's own checks
    (the tunnel itself runs through a real sshd in tap-postgres' tests)."""
    from tap_postgres.tap import TapPostgres

    assert_config_accepted(TapPostgres, json.loads(found.text))
