"""Quick throughput check: target-postgres vs ``psql \\copy`` on the same 12-column rows.

Not the project benchmark (that is ``bench/postgres.py``): a developer's tool for this
package. It writes a Singer stream of N rows (ints, a uuid, text with quotes, commas and
newlines, two timestamps, numerics, a boolean, nullable columns) and the same rows as CSV,
then, ``--repeat`` times each and into a fresh table every time:

1. ``psql \\copy`` of the CSV into a table of the same types with a primary key (the limit);
2. ``target-postgres --config … < stream`` (upsert on ``id``, the default).

For each run it reports wall time, rows/s, the peak RSS of the process tree (``wait4``), the
CPU seconds of the client process and of the Postgres backend serving it (sampled from
``/proc``, so the server must be local), and prints medians.

    .venv/bin/python targets/target-postgres/scripts/measure.py --rows 100000,1000000
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import psycopg

BIN = Path(sys.executable).parent
LIMIT = "psql \\copy"
DDL = """(
    id bigint primary key, order_uuid uuid, customer_name text, email text, country text,
    created_at timestamp with time zone, updated_at timestamp with time zone,
    amount numeric, quantity bigint, is_active boolean, score numeric, note text
)"""
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "order_uuid": {"type": "string", "format": "uuid"},
        "customer_name": {"type": "string"},
        "email": {"type": ["string", "null"]},
        "country": {"type": ["string", "null"]},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": ["string", "null"], "format": "date-time"},
        "amount": {"type": "number"},
        "quantity": {"type": ["integer", "null"]},
        "is_active": {"type": "boolean"},
        "score": {"type": ["number", "null"]},
        "note": {"type": ["string", "null"]},
    },
}
NOTES = (None, None, None, "leave at door", 'said "hi", twice', "line one\nline two", "Zürich ✓")


def rows(count: int) -> Iterator[dict[str, Any]]:
    namespace = uuid.UUID("6f1c1b8e-0000-4000-8000-000000000000")
    for i in range(count):
        day = 1 + i % 28
        yield {
            "id": i + 1,
            "order_uuid": str(uuid.uuid5(namespace, str(i))),
            "customer_name": f"Customer {i % 50_000}",
            "email": None if i % 9 == 0 else f"customer{i % 50_000}@example.com",
            "country": ("CH", "BR", "PL", "US", "JP", "DE", None, "FR")[i % 8],
            "created_at": f"2026-{1 + i % 12:02d}-{day:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            "updated_at": None if i % 5 == 0 else f"2026-{1 + i % 12:02d}-{day:02d}T10:00:00Z",
            "amount": round((i * 7919) % 1_000_000 / 100, 2),
            "quantity": None if i % 13 == 0 else i % 1000,
            "is_active": i % 3 != 0,
            "score": None if i % 10 == 0 else round((i % 977) / 7, 6),
            "note": NOTES[i % len(NOTES)],
        }


def write_inputs(directory: Path, count: int) -> tuple[Path, Path]:
    """The Singer stream and the CSV of the same rows (made once, kept in ``directory``)."""
    stream, table = directory / f"orders-{count}.jsonl", directory / f"orders-{count}.csv"
    if stream.exists() and table.exists():
        return stream, table
    columns = list(SCHEMA["properties"])
    with stream.open("wb") as out, table.open("w", newline="", encoding="utf-8") as sheet:
        writer = csv.writer(sheet)
        head = {"type": "SCHEMA", "stream": "orders", "schema": SCHEMA, "key_properties": ["id"]}
        out.write(orjson.dumps(head) + b"\n")
        for n, record in enumerate(rows(count), 1):
            out.write(orjson.dumps({"type": "RECORD", "stream": "orders", "record": record}))
            out.write(b"\n")
            if n % 10_000 == 0:
                state = {"type": "STATE", "value": {"bookmarks": {"orders": {"id": n}}}}
                out.write(orjson.dumps(state) + b"\n")
            writer.writerow([_csv_value(record[c]) for c in columns])
        last = {"type": "STATE", "value": {"bookmarks": {"orders": {"id": count}}}}
        out.write(orjson.dumps(last) + b"\n")
    return stream, table


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "t" if value else "f"
    return value


class BackendCpu:
    """Samples the CPU seconds of the Postgres backend serving ``application``."""

    def __init__(self, url: str, application: str) -> None:
        self._url, self._application = url, application
        self.seconds = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> BackendCpu:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        with psycopg.connect(self._url, autocommit=True) as conn:
            pid = None
            while not self._stop.is_set():
                if pid is None:
                    found = conn.execute(
                        "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                        (self._application,),
                    ).fetchone()
                    pid = found[0] if found else None
                if pid is not None:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        return
                    self.seconds = (int(fields[11]) + int(fields[12])) / ticks
                self._stop.wait(0.05)


def timed(argv: list[str], stdin: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Run ``argv``; return (seconds, peak RSS MiB, CPU seconds of the process)."""
    with stdin.open("rb") as source:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
        )
        assert proc.stderr is not None
        errors = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{errors.decode(errors='replace')[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "tp-measure")
    args = parser.parse_args()
    database = "target_postgres_measure"
    with psycopg.connect(args.url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database}")
        conn.execute(f"CREATE DATABASE {database}")
    url = psycopg.conninfo.make_conninfo(args.url, dbname=database)
    info = psycopg.conninfo.conninfo_to_dict(url)
    env = {
        **os.environ,
        "PGHOST": str(info.get("host", "127.0.0.1")),
        "PGPORT": str(info.get("port", 5432)),
        "PGUSER": str(info.get("user", "postgres")),
        "PGDATABASE": database,
    }
    if "password" in info:
        env["PGPASSWORD"] = str(info["password"])
    args.data.mkdir(parents=True, exist_ok=True)
    config = args.data / "config.json"
    settings = {k: env[f"PG{k.upper()}"] for k in ("host", "user", "database")}
    settings["port"] = int(env["PGPORT"])
    config.write_text(json.dumps({**settings, "default_target_schema": "measure"}))
    print(
        "| rows | loader | seconds | rows/s | vs \\copy | peak RSS MiB "
        "| client CPU s | server CPU s |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for count in (int(n) for n in args.rows.split(",")):
        stream, table = write_inputs(args.data, count)
        loads = {
            LIMIT: (
                ["psql", "-q", "-c", f"\\copy copy_limit from '{table}' csv"],
                table,
                "psql",
                f"DROP TABLE IF EXISTS copy_limit; CREATE TABLE copy_limit {DDL}",
            ),
            "target-postgres": (
                [str(BIN / "target-postgres"), "--config", str(config)],
                stream,
                "target-postgres",
                "DROP SCHEMA IF EXISTS measure CASCADE",
            ),
        }
        medians: dict[str, float] = {}
        for name, (argv, source, application, reset) in loads.items():
            runs = []
            for _ in range(args.repeat):
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(reset)
                    conn.execute("CHECKPOINT")
                with BackendCpu(url, application) as server:
                    seconds, rss, cpu = timed(argv, source, env)
                runs.append((seconds, rss, cpu, server.seconds))
            seconds = statistics.median(r[0] for r in runs)
            medians[name] = seconds
            print(
                f"| {count:,} | {name} | {seconds:.2f} | {count / seconds:,.0f} "
                f"| {medians[LIMIT] / seconds:.2f} | {max(r[1] for r in runs):.0f} "
                f"| {statistics.median(r[2] for r in runs):.2f} "
                f"| {statistics.median(r[3] for r in runs):.2f} |"
            )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
