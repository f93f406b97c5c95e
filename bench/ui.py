"""Web UI benchmark: how fast ``elt ui`` answers over a large run history.

A project's SQLite history (the default system database) is filled with ``--runs`` runs
(default 10,000 and 100,000) of 20 pipelines over a year — 90 % successes, 8 % failures,
2 % interrupted — through the history store's own ``add``. Then a real ``elt ui`` (uvicorn,
its own process) is asked, ``--repeat`` times each, for:

- ``/runs``: the first page (50 runs, the count, the per-pipeline summaries of the charts);
- ``/runs?status=failed`` and ``/runs?state_id=…``: filtered first pages;
- ``/runs?offset=…``: a page deep in the history (the 1,000th);
- ``/series?state_id=…``: one pipeline's chart data (its latest 500 runs);
- ``/pipelines``: schedules and every pipeline's aggregates.

The limit printed beside each is the same data read by a bare ``sqlite3`` query in this
process (the page's rows, or the chart's points, or the aggregate): what the page costs
above reading what it shows. The goal (issue 18) is ≤ 200 ms for the runs page and its chart
at 100,000 runs. Medians and 95th percentiles of ``--repeat`` requests.

    .venv/bin/python bench/ui.py --runs 10000,100000 --repeat 20
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from elt.history import RunOrigin, RunRecord, RunStatus, Trigger, open_history  # noqa: E402
from tests.fixtures.uiserver import UiServer  # noqa: E402

PIPELINES = 20
PLUGINS_YML = """version: 1
default_environment: dev
environments: [{name: dev}]
plugins:
  taps: [{name: tap-csv}]
  targets: [{name: target-postgres}]
jobs:
  - {name: nightly, tasks: ["tap-csv target-postgres"]}
schedules:
  - {name: nightly, job: nightly, interval: "0 3 * * *", timezone: Europe/Berlin}
"""


def fill(root: Path, runs: int, seed: int = 7) -> float:
    """``runs`` finished runs of ``PIPELINES`` pipelines over the last year; seconds taken."""
    rng = random.Random(seed)
    end = datetime.now(UTC)
    step = timedelta(days=365) / runs
    started = time.perf_counter()
    with open_history(root, None) as history:
        for number in range(runs):
            at = end - step * (runs - number)
            roll = rng.random()
            status = (
                RunStatus.SUCCESS
                if roll < 0.90
                else RunStatus.FAILED
                if roll < 0.98
                else RunStatus.INTERRUPTED
            )
            pipeline = number % PIPELINES
            record = RunRecord(
                run_id=f"{at:%Y%m%dT%H%M%SZ}-{number:06x}",
                state_id=f"dev:tap-csv-{pipeline}-to-target-postgres",
                tap=f"tap-csv-{pipeline}",
                target="target-postgres",
                started_at=at,
                log_path=f"/nowhere/{number}.log",
                environment="dev",
                origin=RunOrigin(Trigger.SCHEDULE, schedule="nightly", job="nightly"),
            )
            failed = status is not RunStatus.SUCCESS
            finished = record.ended(
                status,
                rows={"orders": rng.randrange(1000, 100_000), "customers": rng.randrange(10, 500)},
                rows_kind="committed",
                bytes=None,
                exit_code=70 if failed else 0,
                error="target target-postgres exited with code 70: boom" if failed else None,
            )
            ended = at + timedelta(seconds=rng.uniform(5, 300))
            history.add(replace(finished, ended_at=ended))
    return time.perf_counter() - started


LATEST = "ORDER BY started_at DESC, run_id DESC LIMIT 50"
AGGREGATE = (
    "SELECT state_id, COUNT(*), SUM(status = 'success'), AVG(seconds), MAX(started_at) "
    "FROM elt_runs GROUP BY state_id"
)


def pages(runs: int) -> list[tuple[str, str, tuple[str, ...]]]:
    """Each page: its name, its path, and the bare queries of what it shows (rows, count,
    the aggregates of its charts' headings)."""
    one = "dev:tap-csv-3-to-target-postgres"
    deep = min(50_000, runs // 2)
    return [
        (
            "/runs",
            "/runs",
            (f"SELECT * FROM elt_runs {LATEST}", "SELECT COUNT(*) FROM elt_runs", AGGREGATE),
        ),
        (
            "/runs?status=failed",
            "/runs?status=failed",
            (
                f"SELECT * FROM elt_runs WHERE status = 'failed' {LATEST}",
                "SELECT COUNT(*) FROM elt_runs WHERE status = 'failed'",
                AGGREGATE,
            ),
        ),
        (
            "/runs?state_id=ONE",
            f"/runs?state_id={one}",
            (
                f"SELECT * FROM elt_runs WHERE state_id = '{one}' {LATEST}",
                f"SELECT COUNT(*) FROM elt_runs WHERE state_id = '{one}'",
                AGGREGATE,
            ),
        ),
        (
            f"/runs?offset={deep}",
            f"/runs?offset={deep}",
            (
                f"SELECT * FROM elt_runs {LATEST} OFFSET {deep}",
                "SELECT COUNT(*) FROM elt_runs",
                AGGREGATE,
            ),
        ),
        (
            "/series?state_id=ONE",
            f"/series?state_id={one}",
            (
                "SELECT run_id, started_at, status, seconds, total_rows FROM elt_runs "
                f"WHERE state_id = '{one}' ORDER BY started_at DESC LIMIT 500",
            ),
        ),
        ("/pipelines", "/pipelines", (AGGREGATE,)),
    ]


def timed(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and 95th percentile of ``repeat`` calls, in milliseconds (one warm-up)."""
    call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print("| runs | page | median ms | p95 ms | bare sqlite ms | page / bare |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    for runs in [int(n) for n in args.runs.split(",")]:
        with tempfile.TemporaryDirectory(prefix="elt-bench-ui-") as folder:
            root = Path(folder)
            (root / "plugins.yml").write_text(PLUGINS_YML)
            seconds = fill(root, runs)
            print(f"<!-- {runs} runs written in {seconds:.1f} s -->", file=sys.stderr)
            database = sqlite3.connect(root / ".elt" / "system.db")
            server = UiServer(root).start()
            try:
                with httpx.Client(base_url=server.url, timeout=60) as client:
                    for name, path, queries in pages(runs):

                        def get(path: str = path) -> None:
                            client.get(path).raise_for_status()

                        def read(
                            queries: tuple[str, ...] = queries, db: sqlite3.Connection = database
                        ) -> None:
                            for query in queries:
                                db.execute(query).fetchall()

                        median, p95 = timed(get, args.repeat)
                        raw, _ = timed(read, args.repeat)
                        print(
                            f"| {runs:,} | `{name}` | {median:.1f} | {p95:.1f} | {raw:.2f} "
                            f"| {median / raw:.0f}× |"
                        )
            finally:
                server.stop()
                database.close()


if __name__ == "__main__":
    main()
