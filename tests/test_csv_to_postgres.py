"""tap-csv -> target-postgres end to end, through `elt run` and through a shell pipe."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from tests.fixtures.cli import run_elt
from tests.fixtures.orders import HEADER, ROWS

BIN = Path(sys.executable).parent


def make_project(root: Path, pg_database: str, files: list[str]) -> Path:
    root.mkdir()
    entries = ", ".join(f"{{entity: orders, path: {name}, keys: [id]}}" for name in files[:1])
    if len(files) > 1:
        entries = '{entity: orders, path: "data/*.csv", keys: [id]}'
    (root / "plugins.yml").write_text(
        f"""version: 1
plugins:
  taps:
    - name: tap-csv
      config:
        infer_sample_rows: 2
        files: [{entries}]
  targets:
    - name: target-postgres
      config:
        sqlalchemy_url: "{pg_database}"
        default_target_schema: loaded
"""
    )
    (root / "data").mkdir()
    return root


def rows(pg_database: str) -> list[tuple[object, ...]]:
    with psycopg.connect(pg_database) as conn:
        return conn.execute("select id, name, amount from loaded.orders order by id").fetchall()


def test_elt_run_loads_csv_exactly_and_a_second_run_moves_only_new_rows(
    tmp_path: Path, pg_database: str
) -> None:
    project = make_project(tmp_path / "p", pg_database, ["data/orders.csv"])
    csv_file = project / "data" / "orders.csv"
    csv_file.write_text(HEADER + "".join(ROWS), encoding="utf-8")

    first = run_elt(project, "run", "tap-csv", "target-postgres")
    assert first.returncode == 0, first.stderr
    assert rows(pg_database) == [
        (1, 'Zoë "Z" Müller', Decimal("10.50")),
        (2, "two, with comma", Decimal("123456789012.123456789")),
        (3, "line one\nline two", Decimal("0.10")),
    ]
    state = json.loads(
        run_elt(project, "state", "get", "default:tap-csv-to-target-postgres").stdout
    )
    assert state["bookmarks"]["orders"]

    with csv_file.open("a", encoding="utf-8") as out:
        out.write("2,two changed,2.00,2026-01-04T00:00:00Z\n4,four,4.00,2026-01-04T00:00:00Z\n")
    second = run_elt(project, "run", "tap-csv", "target-postgres")
    assert second.returncode == 0, second.stderr
    assert [r[:2] for r in rows(pg_database)] == [
        (1, 'Zoë "Z" Müller'),
        (2, "two changed"),
        (3, "line one\nline two"),
        (4, "four"),
    ]


def test_a_tap_failing_halfway_keeps_what_was_committed_and_a_rerun_completes(
    tmp_path: Path, pg_database: str
) -> None:
    project = make_project(tmp_path / "p", pg_database, ["data/a.csv", "data/b.csv"])
    (project / "data" / "a.csv").write_text(HEADER + "".join(ROWS), encoding="utf-8")
    bad = project / "data" / "b.csv"
    good = "".join(f"{i},n{i},{i}.00,2026-02-01T00:00:00Z\n" for i in (5, 6, 7))
    bad.write_text(HEADER + good + "8,eight,8.00,2026-02-01T00:00:00Z,EXTRA\n", encoding="utf-8")

    failed = run_elt(project, "run", "tap-csv", "target-postgres")
    assert failed.returncode == 65  # bad data in the file: the tap's own class, passed on
    assert "tap tap-csv exited with code 65" in failed.stderr
    assert "b.csv" in failed.stderr
    committed = [r[0] for r in rows(pg_database)]
    assert committed[:3] == [1, 2, 3]
    assert set(committed) <= {1, 2, 3, 5, 6, 7}

    bad.write_text(HEADER + good + "8,eight,8.00,2026-02-01T00:00:00Z\n", encoding="utf-8")
    rerun = run_elt(project, "run", "tap-csv", "target-postgres")
    assert rerun.returncode == 0, rerun.stderr
    assert [r[0] for r in rows(pg_database)] == [1, 2, 3, 5, 6, 7, 8]


def test_the_shell_pipe_works_the_same_and_prints_the_state(
    tmp_path: Path, pg_database: str
) -> None:
    csv_file = tmp_path / "orders.csv"
    csv_file.write_text(HEADER + "".join(ROWS), encoding="utf-8")
    tap_config = tmp_path / "tap.json"
    tap_config.write_text(
        json.dumps({"files": [{"entity": "orders", "path": str(csv_file), "keys": ["id"]}]})
    )
    target_config = tmp_path / "target.json"
    target_config.write_text(
        json.dumps({"sqlalchemy_url": pg_database, "default_target_schema": "loaded"})
    )
    pipe = subprocess.run(
        f"{BIN / 'tap-csv'} --config {tap_config} | {BIN / 'target-postgres'} --config {target_config}",
        shell=True,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert pipe.returncode == 0, pipe.stderr
    states = [json.loads(line) for line in pipe.stdout.splitlines()]
    assert states
    assert "orders" in states[-1]["bookmarks"]
    assert len(rows(pg_database)) == 3


@pytest.mark.parametrize("name", ["select", 'we"ird Name', "x" * 200])
def test_awkward_stream_names_load_through_elt_run(
    tmp_path: Path, pg_database: str, name: str
) -> None:
    project = make_project(tmp_path / "p", pg_database, ["data/orders.csv"])
    (project / "data" / "orders.csv").write_text(HEADER + ROWS[0], encoding="utf-8")
    yml = project / "plugins.yml"
    yml.write_text(yml.read_text().replace("entity: orders", f"entity: {json.dumps(name)}"))
    result = run_elt(project, "run", "tap-csv", "target-postgres")
    assert result.returncode == 0, result.stderr
    with psycopg.connect(pg_database) as conn:
        tables = conn.execute(
            "select table_name from information_schema.tables where table_schema = 'loaded'"
        ).fetchall()
    assert len(tables) == 1
    assert tables[0][0] == name[:63] or len(name) > 63


def test_stream_maps_in_the_targets_config_rename_drop_filter_and_hash(
    tmp_path: Path, pg_database: str
) -> None:
    project = make_project(tmp_path / "p", pg_database, ["data/orders.csv"])
    (project / "data" / "orders.csv").write_text(HEADER + "".join(ROWS), encoding="utf-8")
    yml = project / "plugins.yml"
    yml.write_text(
        yml.read_text()
        + """        stream_maps:
          orders:
            __alias__: payments
            __filter__: "amount > 1"
            updated_at: __NULL__
            name: null
            name_hash: "md5(name)"
"""
    )

    result = run_elt(project, "run", "tap-csv", "target-postgres")

    assert result.returncode == 0, result.stderr
    with psycopg.connect(pg_database) as conn:
        loaded = conn.execute(
            "select id, amount, name_hash from loaded.payments order by id"
        ).fetchall()
        tables = conn.execute(
            "select table_name from information_schema.tables where table_schema = 'loaded'"
        ).fetchall()
    assert tables == [("payments",)]
    assert loaded == [
        (1, Decimal("10.50"), hashlib.md5('Zoë "Z" Müller'.encode()).hexdigest()),
        (2, Decimal("123456789012.123456789"), hashlib.md5(b"two, with comma").hexdigest()),
    ]


def test_between_our_plugins_rows_travel_as_csv_files_unless_record_lines(
    tmp_path: Path, pg_database: str
) -> None:
    project = make_project(tmp_path / "p", pg_database, ["data/orders.csv"])
    (project / "data" / "orders.csv").write_text(HEADER + "".join(ROWS), encoding="utf-8")
    fast = run_elt(project, "run", "tap-csv", "target-postgres", "--state-id", "fast", "--json")
    assert fast.returncode == 0, fast.stderr
    loaded = rows(pg_database)
    lines = run_elt(project, "run", "tap-csv", "target-postgres", "--state-id", "lines",
                "--record-lines", "--full-refresh", "--json")  # fmt: skip
    assert lines.returncode == 0, lines.stderr
    assert rows(pg_database) == loaded
    assert len(loaded) == 3
    for result in (fast, lines):  # the tap's counts, whichever way the rows travelled
        (orders,) = json.loads(result.stdout)["streams"]
        assert (orders["stream"], orders["rows"]) == ("orders", 3)
    logs = {p.parent.name: p.read_text() for p in (project / ".elt" / "logs").rglob("*.log")}
    assert "fast path: tap-csv sends csv BATCH files" in logs["fast"]
    assert "fast path" not in logs["lines"]
    assert '"batch_config"' not in logs["lines"]
