"""Postgres load benchmark: `psql \\copy` (the limit) vs target-postgres vs `elt run`.

For each row count: the same 12-column CSV (bench/csvdata.py) is loaded by
1. `psql \\copy` into an identical table with a primary key — the physical limit;
2. `target-postgres` alone, reading a Singer stream file made once by tap-csv from that CSV;
3. `tap-csv | target-postgres` as a shell pipe, with RECORD lines and with csv BATCH files
   (tap-csv's `batch_config` format `csv`: typed files the target COPYs as they are);
4. `elt run tap-csv target-postgres --full-refresh` in a scratch project, both ways.
Each load starts from an empty schema. Every process tree is timed and its peak RSS read
from `wait4`. Medians of `--repeat` runs; ratios are against the `\\copy` median of the
same run.

    .venv/bin/python bench/postgres.py --rows 100000,1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))
from csvdata import DDL, write_csv  # noqa: E402

OUT = HERE / "out"
DATABASE = "elt_bench"


def pg_env() -> dict[str, str]:
    """libpq settings for the bench server: $PGHOST etc., defaulting to the local one."""
    env = dict(os.environ)
    env.setdefault("PGHOST", "127.0.0.1")
    env.setdefault("PGPORT", "5432")
    env.setdefault("PGUSER", "postgres")
    return env


def psql(sql: str, database: str = DATABASE) -> None:
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql],
        env=pg_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def timed(command: str, stdin: Path | None = None, cwd: Path | None = None) -> tuple[float, float]:
    """Run a shell command; return (seconds, peak RSS MiB of its process tree)."""
    with open(stdin or os.devnull, "rb") as source:
        start = time.perf_counter()
        proc = subprocess.Popen(
            ["bash", "-o", "pipefail", "-c", command],
            stdin=source,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=pg_env(),
            cwd=cwd,
        )
        assert proc.stderr is not None
        errors = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {command}\n{errors.decode(errors='replace')[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def batch_config(directory: Path) -> dict[str, object]:
    """tap-csv's csv BATCH files, 100,000 rows each, under ``directory``."""
    return {
        "encoding": {"format": "csv", "compression": "none"},
        "storage": {"root": str(directory / "batches")},
        "batch_size": 100_000,
    }


def target_settings(schema: str) -> dict[str, object]:
    env = pg_env()
    config: dict[str, object] = {
        "host": env["PGHOST"],
        "port": int(env["PGPORT"]),
        "user": env["PGUSER"],
        "database": DATABASE,
        "default_target_schema": schema,
        "delete_batch_files": True,
    }
    if env.get("PGPASSWORD"):
        config["password"] = env["PGPASSWORD"]
    return config


def target_config(directory: Path, schema: str) -> Path:
    path = directory / f"target-{schema}.json"
    path.write_text(json.dumps(target_settings(schema)))
    return path


def tap_config(directory: Path, csv_path: Path, *, batches: bool) -> Path:
    config: dict[str, object] = {
        "files": [{"entity": "orders", "path": str(csv_path), "keys": ["id"]}]
    }
    if batches:
        config["batch_config"] = batch_config(directory)
    path = directory / f"tap-{'batches' if batches else 'records'}.json"
    path.write_text(json.dumps(config))
    return path


def project(directory: Path, csv_path: Path, schema: str, *, batches: bool) -> Path:
    root = directory / f"project-{schema}"
    root.mkdir(exist_ok=True)
    tap = {"files": [{"entity": "orders", "path": str(csv_path), "keys": ["id"]}]}
    if batches:
        tap["batch_config"] = batch_config(directory)
    target = target_settings(schema)
    plugins = {
        "version": 1,
        "plugins": {
            "taps": [{"name": "tap-csv", "config": tap}],
            "targets": [{"name": "target-postgres", "config": target}],
        },
    }
    (root / "plugins.yml").write_text(json.dumps(plugins))  # JSON is YAML
    return root


def median_run(
    repeat: int, reset: Callable[[], None], command: str, **kwargs: Path
) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        reset()
        runs.append(timed(command, **kwargs))
    return statistics.median(s for s, _ in runs), max(r for _, r in runs)


def reset_schema(schema: str) -> Callable[[], None]:
    return lambda: psql(f'drop schema if exists "{schema}" cascade; create schema "{schema}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    psql(f"drop database if exists {DATABASE}", database="postgres")
    psql(f"create database {DATABASE}", database="postgres")
    print(f"# Postgres loads, 12 columns, median of {args.repeat} runs")
    print("| rows | loader | seconds | rows/s | vs \\copy | peak RSS MiB |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="elt-bench-") as scratch:
        work = Path(scratch)
        for rows in (int(n) for n in args.rows.split(",")):
            csv_path = write_csv(OUT / f"orders-{rows}.csv", rows)
            stream = OUT / f"orders-{rows}.singer.jsonl"
            tap = f"{BIN / 'tap-csv'} --config {tap_config(work, csv_path, batches=False)}"
            batch_tap = f"{BIN / 'tap-csv'} --config {tap_config(work, csv_path, batches=True)}"
            if not stream.exists():
                timed(f"{tap} > {shlex.quote(str(stream))}")

            def reset_limit() -> None:
                psql(f"drop table if exists copy_limit; create table copy_limit {DDL}")

            limit = median_run(
                args.repeat,
                reset_limit,
                f"psql -q -d {DATABASE} -c \"\\copy copy_limit from '{csv_path}' csv header\"",
            )

            def target(schema: str) -> str:
                return f"{BIN / 'target-postgres'} --config {target_config(work, schema)}"

            def elt(
                schema: str, *, batches: bool, csv_path: Path = csv_path
            ) -> tuple[float, float]:
                root = project(work, csv_path, schema, batches=batches)
                command = f"{BIN / 'elt'} run tap-csv target-postgres --full-refresh"
                return median_run(args.repeat, reset_schema(schema), command, cwd=root)

            results = {
                "psql \\copy (limit)": limit,
                "target-postgres < Singer file (RECORD lines)": median_run(
                    args.repeat, reset_schema("elt_target"), target("elt_target"), stdin=stream
                ),
                "tap-csv | target-postgres, RECORD lines": median_run(
                    args.repeat, reset_schema("elt_pipe"), f"{tap} | {target('elt_pipe')}"
                ),
                "tap-csv | target-postgres, csv BATCH": median_run(
                    args.repeat, reset_schema("elt_batch"), f"{batch_tap} | {target('elt_batch')}"
                ),
                "elt run tap-csv target-postgres, RECORD lines": elt("elt_run", batches=False),
                "elt run tap-csv target-postgres, csv BATCH": elt("elt_run_batch", batches=True),
            }
            for name, (seconds, rss) in results.items():
                rate = rows / seconds
                ratio = limit[0] / seconds
                print(
                    f"| {rows:,} | {name} | {seconds:.2f} | {rate:,.0f} | {ratio:.2f} | {rss:.0f} |"
                )
                sys.stdout.flush()


if __name__ == "__main__":
    main()
