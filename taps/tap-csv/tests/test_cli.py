"""The real ``tap-csv`` executable: discovery, catalogs, state, and bad input."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.taps import csv_batch_config

RunTap = Callable[..., Any]
Write = Callable[..., Path]


def config(*entries: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return {"files": list(entries), **settings}


def test_about_lists_every_setting(run_tap: RunTap) -> None:
    run = run_tap({}, "--about", "--format", "json")
    assert run.code == 0, run.stderr
    about = run.messages[0]
    settings = set(about["settings"]["properties"])
    assert {
        "files",
        "csv_files_definition",
        "add_metadata_columns",
        "batch_config",
        "null_values",
        "infer_sample_rows",
    } <= settings
    entry = about["settings"]["properties"]["files"]["items"]["properties"]
    assert {
        "entity",
        "path",
        "keys",
        "fieldnames",
        "has_header",
        "schema",
        "replication_key",
        "delimiter",
        "quotechar",
        "encoding",
    } <= set(entry)


def test_discovery_types_columns_and_declares_keys_and_bookmark(
    run_tap: RunTap, write: Write
) -> None:
    write("users.csv", "id,name,updated_at\n1,Ann,2026-01-01T00:00:00Z\n")
    run = run_tap(
        config(
            {
                "entity": "users",
                "path": "users.csv",
                "keys": ["id"],
                "replication_key": "updated_at",
            }
        ),
        "--discover",
    )
    assert run.code == 0, run.stderr
    [stream] = run.messages[0]["streams"]
    assert stream["tap_stream_id"] == "users"
    assert stream["schema"]["properties"]["id"] == {"type": ["integer", "null"]}
    top = next(m["metadata"] for m in stream["metadata"] if m["breadcrumb"] == [])
    assert top["table-key-properties"] == ["id"]
    assert top["valid-replication-keys"] == ["updated_at"]


def test_a_catalog_selects_streams_and_columns(run_tap: RunTap, write: Write) -> None:
    write("a.csv", "id,secret\n1,pw\n")
    write("b.csv", "id\n2\n")
    cfg = config({"entity": "a", "path": "a.csv"}, {"entity": "b", "path": "b.csv"})
    catalog = run_tap(cfg, "--discover").messages[0]
    for stream in catalog["streams"]:
        for item in stream["metadata"]:
            if stream["tap_stream_id"] == "b" and item["breadcrumb"] == []:
                item["metadata"]["selected"] = False
            if item["breadcrumb"] == ["properties", "secret"]:
                item["metadata"]["selected"] = False
    run = run_tap(cfg, catalog=catalog)
    assert run.code == 0, run.stderr
    assert [(m["type"], m.get("stream")) for m in run.messages if m["type"] != "STATE"] == [
        ("SCHEMA", "a"),
        ("RECORD", "a"),
    ]
    assert run.records() == [{"id": 1}]


def test_second_run_reads_only_rows_at_or_after_the_bookmark(
    run_tap: RunTap, write: Write, tmp_path: Path
) -> None:
    write("events.csv", "id,updated_at\n1,2026-01-01T00:00:00Z\n2,2026-01-02T00:00:00Z\n")
    cfg = config(
        {"entity": "events", "path": "events.csv", "keys": ["id"], "replication_key": "updated_at"}
    )
    first = run_tap(cfg)
    assert [r["id"] for r in first.records()] == [1, 2]
    bookmark = first.state["bookmarks"]["events"]
    assert (bookmark["replication_key"], bookmark["replication_key_value"]) == (
        "updated_at",
        "2026-01-02T00:00:00Z",
    )

    with (tmp_path / "events.csv").open("a") as out:
        out.write("3,2026-01-03T00:00:00Z\n4,2025-12-31T00:00:00Z\n5,2026-01-02T00:00:00Z\n")
    second = run_tap(cfg, state=first.state)
    # 4 is older than the bookmark; 2 and 5 share it and are read again rather than risk losing 5
    assert [r["id"] for r in second.records()] == [2, 3, 5]
    assert second.state["bookmarks"]["events"]["replication_key_value"] == "2026-01-03T00:00:00Z"

    third = run_tap(cfg, state=second.state)
    assert third.records() == []


def test_unchanged_files_are_skipped_and_touched_or_new_ones_read(
    run_tap: RunTap, write: Write, tmp_path: Path
) -> None:
    write("in/a.csv", "id\n1\n")
    write("in/b.csv", "id\n2\n")
    cfg = config({"entity": "t", "path": "in"})
    first = run_tap(cfg)
    assert [r["id"] for r in first.records()] == [1, 2]
    assert set(first.state["bookmarks"]["t"]["files"]) == {"in/a.csv", "in/b.csv"}

    os.utime(tmp_path / "in" / "a.csv", ns=(1_000_000_000, 1_000_000_000))
    write("in/c.csv", "id\n3\n")
    second = run_tap(cfg, state=first.state)
    assert [r["id"] for r in second.records()] == [1, 3]
    assert second.state["bookmarks"]["t"]["files"]["in/a.csv"]["mtime_ns"] == 1_000_000_000

    (tmp_path / "in" / "c.csv").unlink()
    third = run_tap(cfg, state=second.state)
    assert third.records() == []
    assert set(third.state["bookmarks"]["t"]["files"]) == {"in/a.csv", "in/b.csv"}


def test_a_failed_run_keeps_the_files_it_finished_and_the_rerun_reads_the_rest(
    run_tap: RunTap, write: Write, tmp_path: Path
) -> None:
    write("in/1.csv", "id,v\n1,a\n")
    write("in/2.csv", "id,v\n2,b,extra\n")
    cfg = config({"entity": "t", "path": "in/*.csv", "infer_sample_rows": 1})
    argv = [str(Path(sys.executable).with_name("tap-csv")), "--config", str(tmp_path / "c.json")]
    (tmp_path / "c.json").write_text(json.dumps(cfg))
    failed = subprocess.run(argv, cwd=tmp_path, capture_output=True, check=False, timeout=60)
    assert failed.returncode == 65
    states = [
        json.loads(line)["value"] for line in failed.stdout.splitlines() if b'"STATE"' in line
    ]
    assert set(states[-1]["bookmarks"]["t"]["files"]) == {"in/1.csv"}

    write("in/2.csv", "id,v\n2,b\n")
    rerun = run_tap(cfg, state=states[-1])
    assert [r["id"] for r in rerun.records()] == [2]


def test_metadata_columns_match_meltanolabs_names(run_tap: RunTap, write: Write) -> None:
    write("data/x.csv", "id\n7\n")
    run = run_tap(config({"entity": "x", "path": "data/x.csv"}, add_metadata_columns=True))
    [record] = run.records()
    assert (record["_sdc_source_file"], record["_sdc_source_lineno"], record["id"]) == (
        "data/x.csv",
        1,
        7,
    )


def test_csv_files_definition_points_to_a_json_list(run_tap: RunTap, write: Write) -> None:
    write("x.csv", "id\n1\n")
    write("defs.json", json.dumps([{"entity": "x", "path": "x.csv", "keys": ["id"]}]))
    assert run_tap({"csv_files_definition": "defs.json"}).records() == [{"id": 1}]


@pytest.mark.parametrize(
    ("files", "cfg", "outcome"),
    [
        (
            {},
            config({"entity": "t", "path": "nope/*.csv"}),
            (78, "files[0].path: 'nope/*.csv' matches no file"),
        ),
        (
            {"a.csv": "id,v\n1,a\n2,b,c\n"},
            config({"entity": "t", "path": "a.csv"}),
            (65, "a.csv line 3: row has 3 fields but the header has 2"),
        ),
        (
            {"a.csv": "id,v\n1,a\n2\n"},
            config({"entity": "t", "path": "a.csv"}),
            (65, "a.csv line 3: row has 1 field but the header has 2"),
        ),
        (
            {"a.csv": b"id,v\n1,caf\xe9\n"},
            config({"entity": "t", "path": "a.csv"}),
            (65, "a.csv line 2: bytes b'\\xe9' at column 6 are not valid utf-8"),
        ),
        (
            {"a.csv": "id,n\n1,2\n2,x\n"},
            config({"entity": "t", "path": "a.csv", "schema": {"n": {"type": "integer"}}}),
            (
                65,
                "a.csv line 3, column 'n': 'x' is not an integer, as the declared schema requires",
            ),
        ),
        (
            {"a.csv": "id\n1\n"},
            config({"entity": "t", "path": "a.csv"}, {"entity": "t", "path": "a.csv"}),
            (78, "files[1].entity: entity 't' is already defined by files[0]"),
        ),
        ({}, {}, (78, "no CSV files are configured")),
        ({}, config({"entity": "t"}), (78, "files[0]: missing `path`")),
        (
            {"a.csv": "id\n1\n"},
            config({"entity": "t", "path": "a.csv", "replication_key": "ts"}),
            (78, "replication key 'ts' is not a column"),
        ),
    ],
)
def test_bad_input_is_one_paragraph_naming_where_with_an_exit_code(
    files: dict[str, str | bytes],
    cfg: dict[str, Any],
    outcome: tuple[int, str],
    run_tap: RunTap,
    write: Write,
) -> None:
    for name, content in files.items():
        write(name, content)
    code, expected = outcome
    run = run_tap(cfg)
    assert run.code == code, run.stderr
    assert expected in run.stderr
    assert "Traceback" not in run.stderr


def test_memory_does_not_grow_with_the_number_of_rows(tmp_path: Path) -> None:
    def peak_rss_kib(rows: int) -> int:
        data = tmp_path / f"rows-{rows}.csv"
        with data.open("w") as out:
            out.write("id,name,amount,at\n")
            out.writelines(f"{i},name {i},{i}.25,2026-01-01T00:00:00Z\n" for i in range(rows))
        (tmp_path / "c.json").write_text(json.dumps(config({"entity": "t", "path": str(data)})))
        code = (
            "import resource, subprocess, sys;"
            f"subprocess.run([{str(Path(sys.executable).with_name('tap-csv'))!r}, '--config', "
            f"{str(tmp_path / 'c.json')!r}], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        return int(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, check=True, timeout=120
            ).stdout
        )

    small, large = peak_rss_kib(10_000), peak_rss_kib(200_000)
    assert large < small + 8 * 1024, (small, large)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0


def test_the_meltanolabs_example_with_file_exits_78_without_a_traceback(
    run_tap: RunTap, write: Write
) -> None:
    write("data/alphabet.csv", "col1,col2\na,1\n")
    entry = {"entity": "alphabet", "file": "alphabet.csv", "path": "data/", "keys": ["col1"]}

    run = run_tap(config(entry))

    assert run.code == 78
    assert "setting 'file' is not supported" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("batch", [False, True], ids=["records", "csv-batches"])
def test_rows_read_are_logged_as_record_count_on_either_path(
    run_tap: RunTap, write: Write, tmp_path: Path, batch: bool
) -> None:
    write("big.csv", "id,name\n" + "".join(f"{i},n{i}\n" for i in range(1, 1201)))
    settings = csv_batch_config(str(tmp_path / "batches"), batch_size=500) if batch else {}

    run = run_tap(config({"entity": "big", "path": "big.csv"}, **settings))

    assert run.code == 0, run.stderr
    assert ("BATCH" in run.types()) is batch
    assert run.counted("big") == 1200


def test_a_shell_pipe_s_state_file_is_reused_run_after_run(
    write: Write, tmp_path: Path, pg_database: str
) -> None:
    """``tap-csv | target-postgres > state.json`` leaves the target's STATE lines;
    ``tap-csv --state state.json`` reads only what changed since the last of them."""
    import psycopg

    write("orders/a.csv", "id,amount\n1,10\n2,20\n")
    (tmp_path / "tap.json").write_text(
        json.dumps(config({"entity": "orders", "path": "orders", "keys": ["id"]}))
    )
    target = {"sqlalchemy_url": pg_database, "default_target_schema": "raw"}
    (tmp_path / "target.json").write_text(json.dumps(target))
    bin_dir = Path(sys.executable).parent
    pipe = (
        f"{bin_dir / 'tap-csv'} --config tap.json {{state}}| "
        f"{bin_dir / 'target-postgres'} --config target.json > {{out}}"
    )

    def run(state: str, out: str) -> list[str]:
        subprocess.run(pipe.format(state=state, out=out), shell=True, cwd=tmp_path, check=True)
        return (tmp_path / out).read_text().splitlines()

    run("", "state.json")
    write("orders/b.csv", "id,amount\n3,30\n")
    assert len(run("--state state.json ", "state2.json")) > 1  # the incoming state, then new
    write("orders/c.csv", "id,amount\n4,40\n")
    (tmp_path / "orders" / "a.csv").unlink()  # gone from the folder: its rows stay loaded
    last = json.loads(run("--state state2.json ", "state3.json")[-1])

    with psycopg.connect(pg_database) as conn:
        loaded = conn.execute("select id, amount from raw.orders order by id").fetchall()
    assert loaded == [(1, 10), (2, 20), (3, 30), (4, 40)]
    files = last["bookmarks"]["orders"]["files"]
    assert sorted(Path(name).name for name in files) == ["b.csv", "c.csv"]
