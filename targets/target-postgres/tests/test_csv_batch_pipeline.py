"""``tap-csv | target-postgres`` with csv BATCH files, as real executables on a real database.

Each case loads the same CSV files through RECORD messages too, where that says more than
listing values: the two paths must leave identical tables.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TAP = Path(sys.executable).with_name("tap-csv")
TARGET = Path(sys.executable).with_name("target-postgres")


@dataclass
class Piped:
    """Exit codes, the target's STATE lines and both stderrs of one pipeline run."""

    tap_code: int
    target_code: int
    states: list[Any]
    stderr: str


class Pipeline:
    """Runs ``tap-csv --config … | target-postgres --config …`` in a scratch folder."""

    def __init__(self, folder: Path, database: str) -> None:
        self.folder = folder
        self.database = database
        self.batches = folder / "batches"
        self.runs = 0

    def run(
        self,
        entries: list[dict[str, Any]],
        *,
        schema: str,
        batches: bool = True,
        state: dict[str, Any] | None = None,
        **target: Any,
    ) -> Piped:
        self.runs += 1
        tap_config: dict[str, Any] = {"files": entries}
        if batches:
            tap_config["batch_config"] = {
                "encoding": {"format": "csv", "compression": "none"},
                "storage": {"root": self.batches.as_uri()},
                "batch_size": 1000,
            }
        target_config = {"sqlalchemy_url": self.database, "default_target_schema": schema}
        tap_argv = [str(TAP), "--config", self._write("tap", tap_config)]
        if state is not None:
            tap_argv += ["--state", self._write("state", state)]
        target_argv = [str(TARGET), "--config", self._write("target", {**target_config, **target})]
        tap_err = self.folder / f"tap-{self.runs}.log"
        target_err = self.folder / f"target-{self.runs}.log"
        with tap_err.open("wb") as tap_log, target_err.open("wb") as target_log:
            tap = subprocess.Popen(tap_argv, stdout=subprocess.PIPE, stderr=tap_log)
            assert tap.stdout is not None
            target_run = subprocess.run(
                target_argv, stdin=tap.stdout, capture_output=True, timeout=120, check=False
            )
            tap.stdout.close()
            tap_code = tap.wait(timeout=120)
        target_log.close()
        states = [json.loads(line) for line in target_run.stdout.decode().splitlines() if line]
        stderr = tap_err.read_text() + target_err.read_text() + target_run.stderr.decode()
        return Piped(tap_code, target_run.returncode, states, stderr)

    def _write(self, name: str, value: dict[str, Any]) -> str:
        path = self.folder / f"{name}-{self.runs}.json"
        path.write_text(json.dumps(value), encoding="utf-8")
        return str(path)


@pytest.fixture
def pipeline(tmp_path: Path, pg_database: str) -> Pipeline:
    return Pipeline(tmp_path, pg_database)


def ok(run: Piped) -> Piped:
    assert (run.tap_code, run.target_code) == (0, 0), run.stderr
    return run


TYPES_CSV = (
    "id,big,amount,ok,at,day,name,note\n"
    "1,123456789012345678901234567890,12345678901234567890.123456789012345678,TRUE,"
    '2026-01-01T10:00:00Z,2026-02-28,"Smith, Bo","say ""hi"",\nthen leave"\n'
    "2,-9223372036854775809,-0.000000000000000000001,False,2026-01-01 10:00:00+02:00,,"
    "Zürich 東京 🙂,\n"
    '3,,,,,,"",NULL\n'
    "4,0,1e-7,true,2026-06-30T23:59:59.999999-07:00,2024-02-29,\\N,\\.\n"
)


@pytest.mark.parametrize("null_values", [[""], ["NULL"]])
def test_csv_batches_load_the_same_table_as_record_messages(
    pipeline: Pipeline, db: Any, tmp_path: Path, null_values: list[str]
) -> None:
    data = tmp_path / "types.csv"
    data.write_text(TYPES_CSV, encoding="utf-8")
    bounds = {"minimum": -1e40, "maximum": 1e40}  # beyond 64 bits: a numeric column
    entry = {
        "entity": "types",
        "path": str(data),
        "keys": ["id"],
        "null_values": null_values,
        "schema": {"big": {"type": ["integer", "null"], **bounds}},
    }
    ok(pipeline.run([entry], schema="batched"))
    ok(pipeline.run([entry], schema="records", batches=False))

    batched = db.rows("SELECT * FROM batched.types ORDER BY id")
    assert batched == db.rows("SELECT * FROM records.types ORDER BY id")
    assert db.columns("batched", "types") == db.columns("records", "types")
    assert [(row[0], row[1], row[6]) for row in batched[:2]] == [
        (1, 123456789012345678901234567890, "Smith, Bo"),
        (2, -9223372036854775809, "Zürich 東京 🙂"),
    ]
    assert batched[0][7] == 'say "hi",\nthen leave'
    empty_kept = "" not in null_values
    assert batched[2][6:] == (("", None) if empty_kept else (None, "NULL"))


def test_a_column_widened_mid_file_loads_through_the_new_schema(
    pipeline: Pipeline, db: Any, tmp_path: Path
) -> None:
    data = tmp_path / "codes.csv"
    codes = [str(n) for n in range(1500)] + ["A-17"] + [str(n) for n in range(100)]
    data.write_text("id,code\n" + "".join(f"{i},{c}\n" for i, c in enumerate(codes)))
    entry = {"entity": "codes", "path": str(data), "keys": ["id"], "infer_sample_rows": 10}
    ok(pipeline.run([entry], schema="batched"))

    assert db.columns("batched", "codes") == {"id": "bigint", "code": "text"}
    assert db.rows("SELECT count(*), count(DISTINCT id) FROM batched.codes") == [(1601, 1601)]
    assert db.rows("SELECT code FROM batched.codes WHERE id IN (1499, 1500, 1600) ORDER BY id") == [
        ("1499",),
        ("A-17",),
        ("99",),
    ]


def test_a_second_run_upserts_without_duplicates_and_deleted_files_are_gone(
    pipeline: Pipeline, db: Any, tmp_path: Path, committed: Any
) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "a.csv").write_text("id,name\n" + "".join(f"{i},v{i}\n" for i in range(2500)))
    entry = {"entity": "items", "path": str(data), "keys": ["id"]}
    first = ok(pipeline.run([entry], schema="s", delete_batch_files=True))
    assert sum(committed(first.stderr)["items"]) == 2500  # what `elt run` reports as rows
    (data / "a.csv").write_text("id,name\n" + "".join(f"{i},w{i}\n" for i in range(0, 3000, 2)))
    second = ok(pipeline.run([entry], schema="s", state=first.states[-1], delete_batch_files=True))
    assert sum(committed(second.stderr)["items"]) == 1500

    assert db.rows("SELECT count(*), count(DISTINCT id) FROM s.items") == [(2750, 2750)]
    assert db.rows("SELECT name FROM s.items WHERE id IN (0, 1, 2998) ORDER BY id") == [
        ("w0",),
        ("v1",),
        ("w2998",),
    ]
    assert list(pipeline.batches.iterdir()) == []


def test_a_bad_file_through_the_pipe_stops_the_target_without_state(
    pipeline: Pipeline, db: Any, tmp_path: Path
) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "a.csv").write_text("id,n\n1,5\n")
    entry = {
        "entity": "items",
        "path": str(data),
        "keys": ["id"],
        "schema": {"n": {"type": "integer"}},
    }
    db.execute("CREATE SCHEMA s")
    db.execute("CREATE TABLE s.items (id bigint PRIMARY KEY, n smallint CHECK (n < 3))")
    run = pipeline.run([entry], schema="s", delete_batch_files=True)

    assert run.target_code == 65
    assert "line 2, stream 'items'" in run.stderr
    assert run.states == []
    assert db.rows("SELECT count(*) FROM s.items") == [(0,)]
    assert len(list(pipeline.batches.iterdir())) == 1  # kept: its rows were never committed
