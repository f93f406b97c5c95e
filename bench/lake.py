"""Lake load benchmark: target-files (JSONL.gz, Parquet) against the limits, in one run.

For each row count, the 12-column Singer stream of bench/data.py is written once, then:

1. **write limit**: the same rows, already bare JSON lines (one record each, made once and
   not timed), written straight to a file by the libraries the target uses — zlib (gzip
   level 6) for JSONL.gz; pyarrow's JSON reader and Parquet writer (snappy) for Parquet,
   typed with the same Arrow schema. No Python per row: the physical limit of the write.
2. **loop limit**: a bare Python loop over the Singer file — ``orjson.loads`` per line, then
   the record written the same way (``orjson.dumps`` + zlib; ``Table.from_pylist`` per
   100,000 rows + ``ParquetWriter``). What a target must at least do, without any check.
3. **target**: ``target-files --config … < stream.singer``, the real executable.

With ``--s3``, a moto server is started and two more cases run per format: the **s3 limit**
(the write limit's file made the same way, then uploaded by boto3's ``upload_file``, in one
process) and **target-s3** into the same server; target-s3's ratio is against the s3 limit.

Every case runs in its own process, timed with its peak RSS from ``wait4``; medians of
``--repeat`` runs; ratios are against the limits of the same run.

    .venv/bin/python bench/lake.py --rows 100000,1000000 --repeat 3

    .venv/bin/python bench/lake.py --rows 100000,1000000 --repeat 3 --s3

Other lake targets plug in the same way: :func:`target_cases` with their executable and a
config builder, and a limit case of their own client.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from data import STREAM, write_stream  # noqa: E402

OUT = HERE / "out" / "lake"
FORMATS = ("jsonl", "parquet")


@dataclass(frozen=True)
class Case:
    """One measured command: ``argv`` run with ``stdin`` (a file) in a fresh process."""

    name: str
    fmt: str
    argv: list[str]
    stdin: Path | None = None


def timed(case: Case) -> tuple[float, float]:
    """Run a case; return (seconds, peak RSS MiB)."""
    with open(case.stdin or os.devnull, "rb") as source:
        start = time.perf_counter()
        proc = subprocess.Popen(
            case.argv, stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        assert proc.stderr is not None
        errors = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {case.name}\n{errors.decode(errors='replace')[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def limit_cases(singer: Path, records: Path, out: Path) -> list[Case]:
    """The write limit and the loop limit for each format."""
    me = [sys.executable, str(Path(__file__).resolve())]
    return [
        Case(
            f"{kind} limit", fmt, [*me, "--limit", kind, fmt, str(src), str(out / f"{kind}-{fmt}")]
        )
        for fmt in FORMATS
        for kind, src in (("write", records), ("loop", singer))
    ]


def target_cases(
    executable: Path, singer: Path, config: Callable[[str, Path], dict[str, Any]], out: Path
) -> list[Case]:
    """One case per format for a lake target: ``config(fmt, folder)`` gives its config."""
    cases = []
    for fmt in FORMATS:
        config_file = out / f"{executable.name}-{fmt}.json"
        config_file.write_text(json.dumps(config(fmt, out / f"{executable.name}-{fmt}")))
        cases.append(
            Case(executable.name, fmt, [str(executable), "--config", str(config_file)], singer)
        )
    return cases


def files_config(fmt: str, folder: Path) -> dict[str, Any]:
    return {"path": str(folder), "format": fmt}


S3_BUCKET = "bench"
S3_KEYS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}


def s3_config(endpoint: str) -> Callable[[str, Path], dict[str, Any]]:
    def config(fmt: str, folder: Path) -> dict[str, Any]:
        return {
            "bucket": S3_BUCKET,
            "endpoint_url": endpoint,
            "region": "us-east-1",
            "prefix": folder.name,
            "format": fmt,
            **S3_KEYS,
        }

    return config


def s3_limit_cases(endpoint: str, records: Path, out: Path) -> list[Case]:
    me = [sys.executable, str(Path(__file__).resolve())]
    return [
        Case(
            "s3 limit", fmt, [*me, "--limit", "s3", fmt, str(records), f"{out}/s3-{fmt}|{endpoint}"]
        )
        for fmt in FORMATS
    ]


# --- the limits, run in their own process -------------------------------------------------


def write_limit(fmt: str, source: Path, target: Path) -> None:
    """Bare JSON records straight to JSONL.gz (zlib) or Parquet (pyarrow, C++ only)."""
    target.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        import zlib

        gzip = zlib.compressobj(6, zlib.DEFLATED, 31)
        with source.open("rb") as src, (target / "part.jsonl.gz").open("wb") as out:
            while chunk := src.read(8 << 20):
                out.write(gzip.compress(chunk))
            out.write(gzip.flush())
        return
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    table = pj.read_json(source, parse_options=pj.ParseOptions(explicit_schema=arrow_schema()))
    pq.write_table(table, target / "part.parquet", compression="snappy")


def s3_limit(fmt: str, source: Path, target: str) -> None:
    """The write limit's file, then one boto3 ``upload_file`` of it (multipart when large)."""
    import boto3

    folder, endpoint = target.split("|")
    write_limit(fmt, source, Path(folder))
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench")  # fmt: skip
    for path in Path(folder).iterdir():
        client.upload_file(str(path), S3_BUCKET, f"limit/{path.name}")


def loop_limit(fmt: str, source: Path, target: Path) -> None:
    """A bare orjson loop over the Singer lines, records written the same way."""
    import orjson

    target.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        import zlib

        gzip = zlib.compressobj(6, zlib.DEFLATED, 31)
        buffer = bytearray()
        with source.open("rb") as src, (target / "part.jsonl.gz").open("wb") as out:
            for line in src:
                message = orjson.loads(line)
                if message["type"] == "RECORD":
                    buffer += orjson.dumps(message["record"], option=orjson.OPT_APPEND_NEWLINE)
                    if len(buffer) >= 8 << 20:
                        out.write(gzip.compress(bytes(buffer)))
                        buffer = bytearray()
            out.write(gzip.compress(bytes(buffer)) + gzip.flush())
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(timestamps_as_text=True)
    rows: list[dict[str, Any]] = []
    with source.open("rb") as src, pq.ParquetWriter(target / "part.parquet", schema) as out:
        for line in src:
            message = orjson.loads(line)
            if message["type"] == "RECORD":
                rows.append(message["record"])
                if len(rows) >= 100_000:
                    out.write_table(pa.Table.from_pylist(rows, schema=schema))
                    rows = []
        out.write_table(pa.Table.from_pylist(rows, schema=schema))


def arrow_schema(*, timestamps_as_text: bool = False) -> Any:
    """bench/data.py's columns as target-files types them (parquet_number: double)."""
    import pyarrow as pa
    from data import SCHEMA

    from elt.sdk.lake.columns import plan

    columns = plan(SCHEMA["properties"], text_only=False, number="double", scale=9, struct=False)
    fields = [pa.field(c.name, c.arrow_type()) for c in columns]
    if timestamps_as_text:  # from_pylist does not parse strings; the loop limit skips that
        fields = [pa.field(f.name, pa.string()) if f.name == "created_at" else f for f in fields]
    return pa.schema(fields)


def bare_records(singer: Path) -> Path:
    """The stream's records alone, one JSON object a line (made once, not timed)."""
    path = singer.with_suffix(".records.jsonl")
    if not path.exists():
        import orjson

        with singer.open("rb") as src, path.open("wb") as out:
            for line in src:
                message = orjson.loads(line)
                if message["type"] == "RECORD":
                    out.write(orjson.dumps(message["record"], option=orjson.OPT_APPEND_NEWLINE))
    return path


# --- the run --------------------------------------------------------------------------------


def measure(rows: int, repeat: int, s3: str | None) -> list[dict[str, Any]]:
    singer = write_stream(OUT / f"{STREAM}-{rows}.singer", rows)
    records = bare_records(singer)
    scratch = OUT / "scratch"
    results = []
    for _ in range(repeat):
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        cases = limit_cases(singer, records, scratch) + target_cases(
            BIN / "target-files", singer, files_config, scratch
        )
        if s3 is not None:
            cases += s3_limit_cases(s3, records, scratch) + target_cases(
                BIN / "target-s3", singer, s3_config(s3), scratch
            )
        for case in cases:
            seconds, rss = timed(case)
            results.append(
                {"rows": rows, "case": case.name, "fmt": case.fmt, "s": seconds, "rss": rss}
            )
    shutil.rmtree(scratch, ignore_errors=True)
    return results


def report(results: list[dict[str, Any]]) -> str:
    keys = sorted({(r["rows"], r["fmt"], r["case"]) for r in results}, key=lambda k: (k[0], k[1]))
    median = {
        key: (
            statistics.median(r["s"] for r in results if (r["rows"], r["fmt"], r["case"]) == key),
            max(r["rss"] for r in results if (r["rows"], r["fmt"], r["case"]) == key),
        )
        for key in keys
    }
    lines = [
        "| rows | format | case | seconds | rows/s | vs its limit | vs loop limit | RSS MiB |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    order = ["write limit", "loop limit", "target-files", "s3 limit", "target-s3"]
    for rows, fmt, case in sorted(
        keys, key=lambda k: (k[0], k[1], order.index(k[2]) if k[2] in order else 9)
    ):
        seconds, rss = median[(rows, fmt, case)]
        limit = "s3 limit" if case in ("s3 limit", "target-s3") else "write limit"
        write = median[(rows, fmt, limit)][0]
        loop = median[(rows, fmt, "loop limit")][0]
        name = "jsonl.gz" if fmt == "jsonl" else "parquet (snappy)"
        lines.append(
            f"| {rows:,} | {name} | {case} | {seconds:.2f} | {rows / seconds:,.0f} | "
            f"{write / seconds:.2f} | {loop / seconds:.2f} | {rss:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--s3", action="store_true", help="also target-s3 against moto")
    parser.add_argument("--limit", nargs=4, metavar=("KIND", "FORMAT", "SOURCE", "TARGET"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args()
    if args.limit:
        kind, fmt, source, target = args.limit
        if kind == "s3":
            s3_limit(fmt, Path(source), target)
        else:
            (write_limit if kind == "write" else loop_limit)(fmt, Path(source), Path(target))
        return
    with contextlib.ExitStack() as stack:
        endpoint = stack.enter_context(moto()) if args.s3 else None
        results = []
        for rows in (int(r) for r in args.rows.split(",")):
            results += measure(rows, args.repeat, endpoint)
    print(report(results))


@contextlib.contextmanager
def moto() -> Iterator[str]:
    """A moto S3 server with the bench bucket, for as long as the context lasts."""
    from tests.fixtures.services import free_port, running_server, s3_client

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with running_server("moto", argv, OUT, f"{url}/moto-api/"):
        s3_client(url).create_bucket(Bucket=S3_BUCKET)
        yield url


if __name__ == "__main__":
    main()
