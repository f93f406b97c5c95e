"""Postgres-to-Postgres benchmark: `psql \\copy` out and in (the limit) vs `elt run`.

For each row count, the 12-column table of bench/csvdata.py (with its primary key) is
loaded once with `psql \\copy` into the source database `elt_bench_pgsrc` as
`public.orders_<rows>`, then copied into the destination database `elt_bench_pgdst` by
1. `psql -c "\\copy (select * from …) to stdout" | psql -c "\\copy … from stdin"` into an
   identical table (same DDL, same primary key) — the physical limit;
2. `elt run tap-postgres target-postgres --full-refresh --record-lines`: RECORD lines (the
   tap's lean `row_to_json` path, the target's COPY of JSON rows);
3. the same without `--record-lines`, as a user runs it: both plugins list `elt-csv-batch`,
   so the run gives the tap a csv `batch_config` (one `COPY (SELECT …) TO STDOUT` file per
   100,000-row key range) and the target `delete_batch_files` (elt.run.fastpath).
Each case runs in its own process tree into an empty destination schema; its peak RSS
(the largest process of the tree) is read from `wait4`. Medians of `--repeat` runs;
ratios are against the limit's median in the same run.

    .venv/bin/python bench/pgcopy.py --rows 100000,1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))
from csvdata import DDL, write_csv  # noqa: E402
from postgres import median_run, pg_env, psql  # noqa: E402

OUT = HERE / "out"
SOURCE = "elt_bench_pgsrc"
DESTINATION = "elt_bench_pgdst"


def source_table(rows: int) -> str:
    """``public.orders_<rows>`` in the source database, loaded once from the bench CSV."""
    table = f"orders_{rows}"
    csv_path = write_csv(OUT / f"orders-{rows}.csv", rows)
    psql(f"drop table if exists {table}; create table {table} {DDL}", database=SOURCE)
    psql(f"\\copy {table} from '{csv_path}' csv header", database=SOURCE)
    psql(f"vacuum analyze {table}", database=SOURCE)
    return table


def connection(database: str) -> dict[str, object]:
    env = pg_env()
    config: dict[str, object] = {
        "host": env["PGHOST"],
        "port": int(env["PGPORT"]),
        "user": env["PGUSER"],
        "database": database,
    }
    if env.get("PGPASSWORD"):
        config["password"] = env["PGPASSWORD"]
    return config


def project(work: Path, table: str, schema: str) -> Path:
    """A scratch project copying ``table`` into ``schema`` of the destination."""
    root = work / f"project-{schema}"
    root.mkdir(exist_ok=True)
    tap: dict[str, object] = {**connection(SOURCE), "tables": [f"public.{table}"]}
    target = {**connection(DESTINATION), "default_target_schema": schema}
    plugins = {
        "version": 1,
        "plugins": {
            "taps": [{"name": "tap-postgres", "config": tap}],
            "targets": [{"name": "target-postgres", "config": target}],
        },
    }
    (root / "plugins.yml").write_text(json.dumps(plugins))  # JSON is YAML
    return root


def reset_schema(schema: str, ddl: str = "") -> Callable[[], None]:
    return lambda: psql(
        f'drop schema if exists "{schema}" cascade; create schema "{schema}"; {ddl}',
        database=DESTINATION,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for database in (SOURCE, DESTINATION):
        psql(f"drop database if exists {database}", database="postgres")
        psql(f"create database {database}", database="postgres")
    print(f"# Postgres to Postgres, 12 columns, median of {args.repeat} runs")
    print("| rows | copier | seconds | rows/s | vs limit | peak RSS MiB |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    sys.stdout.flush()
    with tempfile.TemporaryDirectory(prefix="elt-bench-pgcopy-") as scratch:
        work = Path(scratch)
        for rows in (int(n) for n in args.rows.split(",")):
            table = source_table(rows)
            limit = median_run(
                args.repeat,
                reset_schema("copy_limit", f"create table copy_limit.{table} {DDL}"),
                f'psql -q -d {SOURCE} -c "\\copy (select * from public.{table}) to stdout" | '
                f'psql -q -d {DESTINATION} -c "\\copy copy_limit.{table} from stdin"',
            )

            def elt(schema: str, *, batches: bool, table: str = table) -> tuple[float, float]:
                root = project(work, table, schema)
                command = f"{BIN / 'elt'} run tap-postgres target-postgres --full-refresh"
                if not batches:
                    command += " --record-lines"
                return median_run(args.repeat, reset_schema(schema), command, cwd=root)

            results = {
                "psql \\copy to stdout \\| psql \\copy from stdin (limit)": limit,
                "elt run tap-postgres target-postgres --record-lines": elt(
                    "elt_records", batches=False
                ),
                "elt run tap-postgres target-postgres (csv BATCH, the default)": elt(
                    "elt_batch", batches=True
                ),
            }
            for name, (seconds, rss) in results.items():
                print(
                    f"| {rows:,} | {name} | {seconds:.2f} | {rows / seconds:,.0f} "
                    f"| {limit[0] / seconds:.2f} | {rss:.0f} |"
                )
                sys.stdout.flush()


if __name__ == "__main__":
    main()
