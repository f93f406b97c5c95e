"""A run split into units (`--executor local:N`): the same tables and state as one pipe."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg

from tests.fixtures.cli import run_elt

STREAMS = ("orders", "customers", "refunds")
EVENT_FILES = 4  # the stream "events": one partition per file
STATE_ID = "default:tap-csv-to-target-postgres"


def make_project(root: Path, pg_database: str, schema: str, rows: int = 50) -> Path:
    root.mkdir()
    files = ", ".join(
        f"{{entity: {s}, path: data/{s}.csv, keys: [id], replication_key: updated_at}}"
        for s in STREAMS
    )
    files += ", {entity: events, path: data/events/*.csv, replication_key: updated_at}"
    (root / "plugins.yml").write_text(
        f"""version: 1
plugins:
  taps:
    - name: tap-csv
      config:
        infer_sample_rows: 5
        files: [{files}]
  targets:
    - name: target-postgres
      config:
        sqlalchemy_url: "{pg_database}"
        default_target_schema: {schema}
"""
    )
    (root / "data").mkdir()
    for number, stream in enumerate(STREAMS):
        add_rows(root, stream, range(1, rows + 1), day=number + 1)
    (root / "data" / "events").mkdir()
    for part in range(EVENT_FILES):
        add_rows(root, f"events/part-{part}", range(part * 25 + 1, part * 25 + 26), day=part + 5)
    return root


def add_rows(root: Path, stream: str, ids: range, day: int) -> None:
    path = root / "data" / f"{stream}.csv"
    new = not path.exists()
    with path.open("a", encoding="utf-8") as out:
        if new:
            out.write("id,name,updated_at\n")
        for i in ids:
            out.write(f"{i},{stream} {i},2026-01-{day:02d}T00:00:{i % 60:02d}Z\n")
    # the same modification time in every project: tap-csv bookmarks it
    stamp = 1_767_225_600_000_000_000 + ids.stop
    os.utime(path, ns=(stamp, stamp))


def tables(pg_database: str, schema: str) -> dict[str, list[tuple[object, ...]]]:
    with psycopg.connect(pg_database) as conn:
        return {
            s: conn.execute(f"select id, name from {schema}.{s} order by id, name").fetchall()
            for s in (*STREAMS, "events")
        }


def state(project: Path, state_id: str = STATE_ID) -> dict[str, object]:
    done = run_elt(project, "state", "get", state_id)
    assert done.returncode == 0, done.stderr
    loaded: dict[str, object] = json.loads(done.stdout)
    return loaded


def test_a_run_split_by_stream_loads_and_bookmarks_as_one_pipe(
    tmp_path: Path, pg_database: str
) -> None:
    here = make_project(tmp_path / "here", pg_database, "here")
    split = make_project(tmp_path / "split", pg_database, "split")
    assert run_elt(here, "run", "tap-csv", "target-postgres").returncode == 0
    with psycopg.connect(pg_database, autocommit=True) as conn:  # EXPERIMENT
        conn.execute("create schema split")
    done = run_elt(split, "run", "tap-csv", "target-postgres", "--executor", "local:2", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    units = sorted((u["stream"], u["partition"]) for u in result["units"])
    assert units == sorted(
        [(s, f"{s}.csv") for s in STREAMS]
        + [("events", f"part-{p}.csv") for p in range(EVENT_FILES)]
    )
    assert {u["status"] for u in result["units"]} == {"done"}
    shown = run_elt(split, "runs", "show", result["run_id"], "--format", "json")
    assert json.loads(shown.stdout)["units"] == result["units"]
    assert "units:" in run_elt(split, "runs", "show", result["run_id"]).stdout
    assert result["rows"] == {**dict.fromkeys(STREAMS, 50), "events": 100}
    assert tables(pg_database, "split") == tables(pg_database, "here")
    assert state(split) == state(here)
    assert "elt_partitions" not in state(split)

    for project in (here, split):
        add_rows(project, "orders", range(51, 61), day=9)
        add_rows(project, "events/part-1", range(101, 111), day=9)
    assert run_elt(here, "run", "tap-csv", "target-postgres").returncode == 0
    again = run_elt(split, "run", "tap-csv", "target-postgres", "--executor", "local:2")
    assert again.returncode == 0, again.stderr
    assert tables(pg_database, "split") == tables(pg_database, "here")
    assert state(split) == state(here)


def test_a_failed_unit_fails_the_run_naming_it_and_the_rerun_redoes_only_it(
    tmp_path: Path, pg_database: str
) -> None:
    project = make_project(tmp_path / "p", pg_database, "failing")
    with (project / "data" / "refunds.csv").open("a", encoding="utf-8") as out:
        out.write("51,refunds 51,2026-01-03T00:00:00Z,a fourth field\n")
    failed = run_elt(project, "run", "tap-csv", "target-postgres", "--executor", "local:1")
    assert failed.returncode != 0
    assert "unit refunds" in failed.stderr
    with psycopg.connect(pg_database) as conn:  # the failed unit committed nothing
        ledger = conn.execute("select stream from failing._elt_units").fetchall()
    assert ("refunds",) not in ledger
    assert len(ledger) == len(STREAMS) - 1 + EVENT_FILES
    stored = state(project)
    progress = stored["elt_partitions"]
    assert isinstance(progress, dict)
    assert list(progress) == ["refunds"]

    lines = (project / "data" / "refunds.csv").read_text().splitlines()
    (project / "data" / "refunds.csv").write_text("\n".join(lines[:-1]) + "\n")
    rerun = run_elt(project, "run", "tap-csv", "target-postgres", "--executor", "local:1", "--json")
    assert rerun.returncode == 0, rerun.stderr
    # every stream runs again, incrementally: only the failed unit has rows to load
    moved = {u["stream"]: u["rows"] for u in json.loads(rerun.stdout)["units"] if u["rows"]}
    assert moved == {"refunds": 50}
    assert {s: len(r) for s, r in tables(pg_database, "failing").items()} == {
        **dict.fromkeys(STREAMS, 50),
        "events": 100,
    }
    assert "elt_partitions" not in state(project)


def pg_project(root: Path, pg_database: str, schema: str, **tap: object) -> Path:
    root.mkdir()
    options = {"public-events": {"partitions": 3}}
    (root / "plugins.yml").write_text(
        f"""version: 1
plugins:
  taps:
    - name: tap-postgres
      config:
        sqlalchemy_url: "{pg_database}"
        filter_schemas: [public]
        stream_options: {json.dumps(options)}
  targets:
    - name: target-postgres
      config:
        sqlalchemy_url: "{pg_database}"
        default_target_schema: {schema}
"""
    )
    return root


def loaded(pg_database: str, schema: str) -> list[tuple[object, ...]]:
    with psycopg.connect(pg_database) as conn:
        return conn.execute(
            f"select id, note, _sdc_deleted_at is null from {schema}.events order by id"
        ).fetchall()


def test_a_full_table_stream_in_partitions_retires_old_rows_once_as_one_pipe(
    tmp_path: Path, pg_database: str
) -> None:
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("create table public.events (id bigint primary key, note text)")
        conn.execute("insert into public.events select i, 'n' || i from generate_series(1, 3000) i")
    here = pg_project(tmp_path / "here", pg_database, "tp_here")
    split = pg_project(tmp_path / "split", pg_database, "tp_split")
    for _ in range(2):  # the second run finds rows deleted at the source
        first = run_elt(here, "run", "tap-postgres", "target-postgres")
        assert first.returncode == 0, first.stderr
        done = run_elt(
            split, "run", "tap-postgres", "target-postgres", "--executor", "local:2", "--json"
        )
        assert done.returncode == 0, done.stderr
        units = json.loads(done.stdout)["units"]
        assert sorted(u["partition"] for u in units) == ["..1000", "1000..2000", "2000.."]
        assert loaded(pg_database, "tp_split") == loaded(pg_database, "tp_here")
        assert state(split, "default:tap-postgres-to-target-postgres") == state(
            here, "default:tap-postgres-to-target-postgres"
        )
        with psycopg.connect(pg_database, autocommit=True) as conn:
            conn.execute("delete from public.events where id % 7 = 0")
    retired = [row for row in loaded(pg_database, "tp_split") if not row[2]]
    assert len(retired) == 3000 // 7
