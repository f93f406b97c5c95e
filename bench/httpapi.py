"""tap-http benchmark: a local paginated API read by tap-http vs a plain ``requests`` loop.

A server process serves ``--rows`` records of the 12-column :mod:`data` shape as JSON pages
of ``--page-size`` (``{"data": [...]}``, page-number pagination, an empty page at the end);
the bodies are encoded once up front so the server is not what is measured. In the same
run, each in its own process, against the same server:

- ``requests loop`` (the limit): one ``requests.Session``, ``GET ?page=N`` until an empty
  page, ``orjson.loads`` of each body, records counted. Nothing is written.
- ``tap-http > /dev/null``: the tap with elt's message writer, its schema inferred from the
  first page as a user would leave it.
- ``tap-http, singer-sdk writer``: the same tap with singer-sdk's default message writer,
  to show what the fast path buys.

Wall seconds include process start-up (a Python import of requests for the loop, ~0.9 s of
singer-sdk imports for the tap), because that is what a user waits for; with two record
counts the marginal rate between them, where start-up cancels out, is printed as well.
Peak RSS is from ``wait4``.

    .venv/bin/python bench/httpapi.py --rows 200000,1000000 --page-size 1000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import STREAM, records

OUT = Path(__file__).resolve().parent / "out"
REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
LOOP = """
import sys, orjson, requests
url, size = sys.argv[1], sys.argv[2]
session, page, count = requests.Session(), 1, 0
while True:
    rows = orjson.loads(session.get(url, params={"page": page, "per_page": size}).content)["data"]
    if not rows:
        break
    count += len(rows)
    page += 1
print(count)
"""
SDK_WRITER = """
from singer_sdk.io_base import SingerWriter
from tap_http.tap import TapHttp
TapHttp.message_writer_class = SingerWriter
TapHttp.cli()
"""


def serve(rows: int, page_size: int) -> None:
    """Serve the pages on a free port until killed; print the port when ready."""
    pages = [b'{"data": []}']
    batch: list[dict[str, object]] = []
    for record in records(rows):
        batch.append(record)
        if len(batch) == page_size:
            pages.insert(-1, orjson.dumps({"data": batch}))
            batch = []
    if batch:
        pages.insert(-1, orjson.dumps({"data": batch}))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            index = int(query.get("page", ["1"])[0]) - 1
            body = pages[min(max(index, 0), len(pages) - 1)]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def run(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS MiB) of one command, output counted or discarded."""
    with open(os.devnull, "wb") as devnull:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=devnull, stderr=subprocess.PIPE, cwd=REPO)
        assert proc.stderr is not None
        errors = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{errors.decode(errors='replace')[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def tap_config(port: int, page_size: int) -> Path:
    config = {
        "api_url": f"http://127.0.0.1:{port}",
        "streams": [
            {
                "name": STREAM,
                "path": "/events",
                "records_path": "$.data[*]",
                "primary_keys": ["id"],
                "pagination": {
                    "style": "page",
                    "page_param": "page",
                    "size_param": "per_page",
                    "page_size": page_size,
                },
            }
        ],
    }
    path = OUT / "tap-http-bench.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config))
    return path


def commands(port: int, page_size: int) -> dict[str, list[str]]:
    config = str(tap_config(port, page_size))
    tap = str(Path(PYTHON).with_name("tap-http"))
    return {
        "requests loop (limit)": [
            PYTHON,
            "-c",
            LOOP,
            f"http://127.0.0.1:{port}/events",
            str(page_size),
        ],
        "tap-http > /dev/null": [tap, "--config", config],
        "tap-http, singer-sdk writer": [PYTHON, "-c", SDK_WRITER, "--config", config],
    }


def measure(rows: int, page_size: int, repeat: int) -> dict[str, tuple[float, float]]:
    """Median seconds and peak RSS of each reader over ``rows`` records, one server for all."""
    server = subprocess.Popen(
        [PYTHON, __file__, "--serve", "--rows", str(rows), "--page-size", str(page_size)],
        stdout=subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        results = {}
        for label, argv in commands(port, page_size).items():
            runs = [run(argv) for _ in range(repeat)]
            results[label] = (statistics.median(s for s, _ in runs), max(r for _, r in runs))
        return results
    finally:
        server.kill()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="200000", help="comma-separated record counts")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.rows), args.page_size)
        return
    sizes = [int(r) for r in args.rows.split(",")]
    print("| records | reader | seconds | records/s | vs loop | peak RSS MiB |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    measured = {}
    for rows in sizes:
        measured[rows] = results = measure(rows, args.page_size, args.repeat)
        limit = rows / next(iter(results.values()))[0]
        for label, (seconds, rss) in results.items():
            rate = rows / seconds
            print(
                f"| {rows:,} | {label} | {seconds:.2f} | {rate:,.0f} | {rate / limit:.2f} "
                f"| {rss:.0f} |",
                flush=True,
            )
    if len(sizes) > 1:
        low, high = min(sizes), max(sizes)
        print(f"\nMarginal rate from {low:,} to {high:,} records (start-up cancels out):\n")
        print("| reader | records/s | vs loop |")
        print("| --- | ---: | ---: |")
        limit = 0.0
        for label in measured[low]:
            rate = (high - low) / (measured[high][label][0] - measured[low][label][0])
            limit = limit or rate
            print(f"| {label} | {rate:,.0f} | {rate / limit:.2f} |")


if __name__ == "__main__":
    main()
