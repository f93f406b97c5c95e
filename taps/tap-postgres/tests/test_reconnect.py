"""A session lost mid-sync is replaced and the stream resumes after the last row sent.

The tap's backend is really terminated (``pg_terminate_backend``) while it reads, from the
test: every row must still arrive exactly once.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import tap_postgres.streams
from tap_postgres import TapPostgres

from elt.protocol import read_messages
from tests.fixtures.taps import sync_in_process

from .conftest import TAP

TERMINATE = (
    "select count(pg_terminate_backend(pid)) from pg_stat_activity "
    "where application_name = 'tap-postgres' and datname = current_database()"
)


def run_and_terminate_after(source, tmp_path: Path, records: int, *args: str, **settings):
    """Run the tap executable; terminate its backend once ``records`` RECORDs were read."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps(source.config(**settings)))
    tap = subprocess.Popen(
        [str(TAP), "--config", str(config), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert tap.stdout is not None
    assert tap.stderr is not None
    lines: list[bytes] = []
    seen = terminated = 0
    for line in tap.stdout:
        lines.append(line)
        seen += line.startswith(b'{"type":"RECORD"')
        if seen == records:
            [(terminated,)] = source.query(TERMINATE)
    stderr = tap.stderr.read().decode()
    tap.wait(timeout=120)
    assert terminated == 1
    return tap.returncode, list(read_messages(io.BytesIO(b"".join(lines)))), stderr


def test_a_terminated_backend_is_replaced_and_every_row_arrives_once(source, tmp_path):
    source.execute(
        "create table big (id bigint primary key, payload text);"
        "insert into big select i, repeat('x', 200) from generate_series(1, 60000) i"
    )
    code, messages, stderr = run_and_terminate_after(
        source, tmp_path, 8000, chunk_rows=7000, state_interval_rows=1000
    )
    assert code == 0, stderr
    assert "lost the connection while reading public.big" in stderr
    assert "reconnecting (attempt 1 of 3)" in stderr
    ids = [m["record"]["id"] for m in messages if m["type"] == "RECORD"]
    assert ids == list(range(1, 60001))
    assert [m["type"] for m in messages].count("ACTIVATE_VERSION") == 1
    assert messages[-1] == {"type": "STATE", "value": {"bookmarks": {"public-big": {}}}}


def test_incremental_resumes_from_the_last_key_sent(source, tmp_path, run_tap):
    source.execute(
        "create table events (id bigint primary key, seq bigint not null, payload text);"
        "insert into events select i, i, repeat('y', 200) from generate_series(1, 60000) i"
    )
    catalog = run_tap(source.config(), "--discover").messages[0]
    for entry in catalog["streams"]:
        entry.update(replication_method="INCREMENTAL", replication_key="seq")
        root = next(m for m in entry["metadata"] if m["breadcrumb"] == [])
        root["metadata"].update(
            {"selected": True, "replication-key": "seq", "forced-replication-method": "INCREMENTAL"}
        )
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    code, messages, stderr = run_and_terminate_after(
        source, tmp_path, 8000, "--catalog", str(tmp_path / "catalog.json"), chunk_rows=7000
    )
    assert code == 0, stderr
    assert "lost the connection while reading public.events" in stderr
    seqs = [m["record"]["seq"] for m in messages if m["type"] == "RECORD"]
    # Resuming from the last key sent, inclusively (rows sharing it may not all have been
    # sent), resends that one row at most when the key is unique.
    assert seqs == sorted(seqs)
    assert sorted(set(seqs)) == list(range(1, 60001))
    assert len(seqs) - len(set(seqs)) <= 1
    assert messages[-1]["value"]["bookmarks"]["public-events"]["replication_key_value"] == 60000


def test_a_table_without_keys_that_already_sent_rows_is_not_retried(source, tmp_path):
    source.execute(
        "create table heap (id bigint, payload text);"
        "insert into heap select i, repeat('z', 200) from generate_series(1, 60000) i"
    )
    code, messages, stderr = run_and_terminate_after(source, tmp_path, 8000)
    assert code == 75, stderr
    assert "lost the connection to Postgres" in stderr
    assert "while reading public.heap" in stderr
    assert "Traceback" not in stderr
    assert not any(m["type"] == "ACTIVATE_VERSION" for m in messages)


def test_csv_batch_file_interrupted_by_a_lost_session_is_written_again(
    source, tmp_path, monkeypatch
):
    source.execute(
        "create table big (id bigint primary key, payload text);"
        "insert into big select i, md5(i::text) from generate_series(1, 25000) i"
    )
    copy_to_file = tap_postgres.streams.copy_to_file
    calls = 0

    def terminate_on_second_file(cur, *args):
        nonlocal calls
        calls += 1
        if calls == 2:
            pid = cur.connection.info.backend_pid
            source.execute("select pg_terminate_backend(%s)", [pid])
        return copy_to_file(cur, *args)

    monkeypatch.setattr(tap_postgres.streams, "copy_to_file", terminate_on_second_file)
    monkeypatch.setattr(tap_postgres.connection, "RECONNECT_DELAYS_S", (0.0, 0.0, 0.0))
    batches = tmp_path / "batches"
    config = source.config(
        batch_config={
            "encoding": {"format": "csv", "compression": "none"},
            "storage": {"root": str(batches)},
            "batch_size": 10000,
        }
    )
    run = sync_in_process(TapPostgres(config=config))
    assert calls == 4  # 10,000 + the retried 10,000 + 5,000
    files = [Path(urlsplit(m["manifest"][0]).path) for m in run.messages if m["type"] == "BATCH"]
    assert len(files) == 3
    assert sorted(p.name for p in batches.iterdir()) == sorted(p.name for p in files)
    ids = []
    for path in files:
        with path.open(newline="") as rows:
            ids.extend(int(row["id"]) for row in csv.DictReader(rows))
    assert ids == list(range(1, 25001))
