"""Scale-out benchmark: `elt run` on the local executor vs a Dask cluster of N workers.

Three measurements, each `elt run` as a user types it, medians of `--repeat`:

- ``io``: tap-http over 8 streams of a local API that answers every page after 50 ms
  (``--latency``), into target-files (JSON Lines). The local executor reads the streams one
  after another in one tap; the cluster runs one unit per stream on 1, 2 and 4 workers
  (one thread each). The ratio printed is throughput against the local executor's; the
  goal is ≥ 0.8·N on N ≤ 4 workers.
- ``cpu``: tap-postgres → target-postgres, one ``--rows`` table cut into 4 key-range
  partitions (``stream_options.<stream>.partitions: 4``), on 2 workers vs local, into an
  empty schema each time; ``psql \\copy`` out and in is printed as the limit.
- ``overhead``: one 100-row stream on a 1-worker cluster vs local: what coordinating costs.

The scheduler and workers are real `dask` processes on this machine (the test fixtures'
``start_cluster``), started once per worker count and warmed up by one run (the workers'
plugin venvs are built then). On a 2-core machine the CPU-bound case cannot scale: it says
where the time goes, not what N machines would do (see bench/RESULTS.md for that model).

    .venv/bin/python bench/scaleout.py io --repeat 3
    .venv/bin/python bench/scaleout.py cpu --rows 4000000 --repeat 3
    .venv/bin/python bench/scaleout.py overhead --repeat 5
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
from csvdata import DDL, write_csv  # noqa: E402
from postgres import pg_env, psql  # noqa: E402

from tests.fixtures.dask import DaskCluster, start_cluster  # noqa: E402

OUT = HERE / "out"
STREAMS = 8
SOURCE = "elt_bench_pgsrc"
DESTINATION = "elt_bench_pgdst"


@contextmanager
def api(pages: int, page_size: int, latency: float) -> Iterator[int]:
    """``STREAMS`` paths ``/s0``… of ``pages`` pages each, every answer ``latency`` late."""
    bodies = [
        orjson.dumps({"data": [{"id": p * page_size + i, "v": f"r{i}"} for i in range(page_size)]})
        for p in range(pages)
    ] + [b'{"data": []}']

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # headers and body go out in two writes: without TCP_NODELAY the body waits for
        # the client's delayed ACK (~40 ms), which would double the latency asked for
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            page = int(parse_qs(urlsplit(self.path).query).get("page", ["1"])[0])
            time.sleep(latency)
            body = bodies[min(max(page - 1, 0), len(bodies) - 1)]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


def http_project(work: Path, port: int, page_size: int, streams: int) -> Path:
    tap = {
        "api_url": f"http://127.0.0.1:{port}",
        "streams": [
            {
                "name": f"s{n}",
                "path": f"/s{n}",
                "records_path": "$.data[*]",
                "primary_keys": ["id"],
                "pagination": {"style": "page", "page_param": "page", "page_size": page_size},
            }
            for n in range(streams)
        ],
    }
    target = {"path": str(work / "lake"), "format": "jsonl"}
    return write_project(work, "tap-http", tap, "target-files", target)


def write_project(work: Path, tap: str, tap_config: object, target: str, config: object) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    (work / "plugins.yml").write_text(
        f"version: 1\nplugins:\n  taps:\n    - name: {tap}\n      config: "
        f"{json.dumps(tap_config)}\n  targets:\n    - name: {target}\n      config: "
        f"{json.dumps(config)}\n"
    )
    return work


def elt_run(project: Path, tap: str, target: str, executor: str | None) -> float:
    argv = [str(BIN / "elt"), "--project", str(project), "run", tap, target, "--full-refresh"]
    argv += ["--progress-interval", "0"]
    if executor is not None:
        argv += ["--executor", executor]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{done.stderr[-3000:]}")
    return seconds


def median(
    repeat: int, once: Callable[[], float], before: Callable[[], None] = lambda: None
) -> float:
    times = []
    for _ in range(repeat):
        before()
        times.append(once())
    return statistics.median(times)


@contextmanager
def cluster(workers: int) -> Iterator[DaskCluster]:
    with tempfile.TemporaryDirectory(prefix="elt-bench-dask-") as folder:
        running = start_cluster(Path(folder), workers=workers)
        try:
            yield running
        finally:
            running.stop()


def io_bound(args: argparse.Namespace) -> None:
    print(
        f"# I/O bound: tap-http, {STREAMS} streams x {args.pages} pages x {args.page_size} "
        f"rows, {args.latency * 1000:.0f} ms a page, into target-files; median of {args.repeat}"
    )
    print("| executor | seconds | throughput vs local | goal |")
    print("| --- | ---: | ---: | ---: |")
    with (
        api(args.pages, args.page_size, args.latency) as port,
        tempfile.TemporaryDirectory() as tmp,
    ):
        project = http_project(Path(tmp) / "p", port, args.page_size, STREAMS)
        local = median(args.repeat, lambda: elt_run(project, "tap-http", "target-files", None))
        print(f"| local | {local:.2f} | 1.00 | |", flush=True)
        for workers in (1, 2, 4):
            with cluster(workers) as running:
                elt_run(project, "tap-http", "target-files", running.address)  # warm-up
                seconds = median(
                    args.repeat,
                    lambda: elt_run(project, "tap-http", "target-files", running.address),
                )
            print(
                f"| {workers} worker{'s' if workers > 1 else ''} | {seconds:.2f} | "
                f"{local / seconds:.2f} | {0.8 * workers:.1f} |",
                flush=True,
            )


def cpu_bound(args: argparse.Namespace) -> None:
    rows = args.rows
    table = f"orders_{rows}"
    env = pg_env()
    for database in (SOURCE, DESTINATION):
        subprocess.run(["createdb", database], env=env, capture_output=True, check=False)
    psql(f"DROP TABLE IF EXISTS public.{table}; CREATE TABLE public.{table} {DDL}", SOURCE)
    csv_path = write_csv(OUT / f"orders-{rows}.csv", rows)
    psql(f"\\copy public.{table} from '{csv_path}' with (format csv, header true)", SOURCE)
    url = "postgresql://{PGUSER}@{PGHOST}:{PGPORT}/".format(**env)
    tap = {
        "sqlalchemy_url": url + SOURCE,
        "filter_schemas": ["public"],
        "tables": [f"public.{table}"],
        "stream_options": {f"public-{table}": {"partitions": 4}},
    }
    target = {"sqlalchemy_url": url + DESTINATION, "default_target_schema": "scaleout"}

    def reset() -> None:
        psql("DROP SCHEMA IF EXISTS scaleout CASCADE", DESTINATION)

    def limit() -> float:
        psql(f"CREATE SCHEMA scaleout; CREATE TABLE scaleout.{table} {DDL}", DESTINATION)
        start = time.perf_counter()
        out = subprocess.Popen(
            ["psql", "-d", SOURCE, "-c", f"\\copy (select * from public.{table}) to stdout"],
            stdout=subprocess.PIPE, env=env,
        )  # fmt: skip
        subprocess.run(
            ["psql", "-d", DESTINATION, "-c", f"\\copy scaleout.{table} from stdin"],
            stdin=out.stdout, env=env, check=True, capture_output=True,
        )  # fmt: skip
        out.wait()
        return time.perf_counter() - start

    print(
        f"# CPU bound: tap-postgres -> target-postgres, {rows:,} rows in 4 partitions; "
        f"median of {args.repeat}"
    )
    print("| copier | seconds | rows/s | vs limit |")
    print("| --- | ---: | ---: | ---: |")
    seconds = median(args.repeat, limit, reset)
    base = seconds
    print(
        f"| psql \\copy out \\| psql \\copy in (limit) | {seconds:.2f} | {rows / seconds:,.0f} "
        "| 1.00 |",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        project = write_project(Path(tmp) / "p", "tap-postgres", tap, "target-postgres", target)

        def run(executor: str | None) -> float:
            return elt_run(project, "tap-postgres", "target-postgres", executor)

        for name, executor in (("local (one pipe)", None), ("local:2 (4 units)", "local:2")):
            seconds = median(args.repeat, functools.partial(run, executor), reset)
            print(
                f"| elt run, {name} | {seconds:.2f} | {rows / seconds:,.0f} | "
                f"{base / seconds:.2f} |",
                flush=True,
            )
        with cluster(2) as running:
            reset()
            run(running.address)
            seconds = median(args.repeat, lambda: run(running.address), reset)
        print(
            f"| elt run, 2 Dask workers (4 units) | {seconds:.2f} | {rows / seconds:,.0f} | "
            f"{base / seconds:.2f} |",
            flush=True,
        )


def overhead(args: argparse.Namespace) -> None:
    print(f"# coordinator overhead: 1 stream of 100 rows; median of {args.repeat}")
    print("| executor | seconds |")
    print("| --- | ---: |")
    with api(1, 100, 0.0) as port, tempfile.TemporaryDirectory() as tmp:
        project = http_project(Path(tmp) / "p", port, 100, 1)
        local = median(args.repeat, lambda: elt_run(project, "tap-http", "target-files", None))
        print(f"| local | {local:.2f} |", flush=True)
        with cluster(1) as running:
            elt_run(project, "tap-http", "target-files", running.address)
            seconds = median(
                args.repeat, lambda: elt_run(project, "tap-http", "target-files", running.address)
            )
        print(f"| 1 Dask worker | {seconds:.2f} (+{seconds - local:.2f}) |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=("io", "cpu", "overhead"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--rows", type=int, default=4_000_000)
    args = parser.parse_args()
    os.environ.setdefault("ELT_LOG_LEVEL", "warning")
    {"io": io_bound, "cpu": cpu_bound, "overhead": overhead}[args.case](args)


if __name__ == "__main__":
    main()
