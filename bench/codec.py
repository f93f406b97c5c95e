"""Message codec benchmark: elt's orjson path vs singer-sdk's default and its msgspec contrib.

Parse: every line of one Singer stream file is read and decoded through each codec's
``process_lines`` with no-op callbacks, as a target would. Write: SDK ``RecordMessage``
objects are written through each codec's ``write_message`` into a pipe drained by ``cat``,
as a tap would. The limit measured in the same run is a bare orjson loop (``loads`` per
line; ``dumps`` into one buffer). Each measurement runs in its own process, so peak RSS is
that codec's own; the median of ``--repeat`` runs is reported.

    .venv/bin/python bench/codec.py --rows 200000 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import cycle, islice
from pathlib import Path
from typing import Any

import orjson
from singer_sdk.singerlib.encoding.simple import RecordMessage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import STREAM, records, write_stream

CODECS = ("bare-orjson", "elt", "sdk-default", "sdk-msgspec")
OUT = Path(__file__).resolve().parent / "out"


def _noop(_: dict[str, Any]) -> None:
    return None


def _reader_class(codec: str) -> Any:
    if codec == "elt":
        from elt.sdk import OrjsonReader

        return OrjsonReader
    if codec == "sdk-default":
        from singer_sdk.io_base import SingerReader

        return SingerReader
    from singer_sdk.contrib.msgspec import MsgSpecReader

    return MsgSpecReader


def _writer_class(codec: str) -> Any:
    if codec == "elt":
        from elt.sdk import OrjsonWriter

        return OrjsonWriter
    if codec == "sdk-default":
        from singer_sdk.io_base import SingerWriter

        return SingerWriter
    from singer_sdk.contrib.msgspec import MsgSpecWriter

    return MsgSpecWriter


def _parse(codec: str, path: Path) -> Callable[[], int]:
    """A function that parses the whole file; imports happen before it is timed."""
    callbacks = dict.fromkeys(("SCHEMA", "RECORD", "STATE", "ACTIVATE_VERSION", "BATCH"), _noop)
    if codec == "bare-orjson":

        def bare() -> int:
            count = 0
            with path.open("rb") as lines:
                for line in lines:
                    orjson.loads(line)
                    count += 1
            return count

        return bare
    reader_class = _reader_class(codec)
    mode = "rb" if codec == "elt" else "r"

    def through_reader() -> int:
        with path.open(mode) as source:
            return sum(reader_class().process_lines(source, callbacks).values())

    return through_reader


def _write(codec: str, rows: int) -> Callable[[], int]:
    """A function that writes ``rows`` RECORD messages to stdout."""
    moment = datetime(2026, 11, 21, tzinfo=UTC)
    pool = list(records(1000))

    def messages() -> Iterator[RecordMessage]:
        for record in islice(cycle(pool), rows):
            yield RecordMessage(stream=STREAM, record=record, time_extracted=moment)

    if codec == "bare-orjson":

        def bare() -> int:
            out = bytearray()
            for message in messages():
                out += orjson.dumps(message.to_dict(), option=orjson.OPT_APPEND_NEWLINE)
                if len(out) > 1 << 16:
                    sys.stdout.buffer.write(out)
                    out = bytearray()
            sys.stdout.buffer.write(out)
            sys.stdout.buffer.flush()
            return rows

        return bare
    writer = _writer_class(codec)()

    def through_writer() -> int:
        for message in messages():
            writer.write_message(message)
        if hasattr(writer, "flush"):
            writer.flush()
        sys.stdout.flush()
        return rows

    return through_writer


def worker(mode: str, codec: str, rows: int, path: Path) -> None:
    run = _parse(codec, path) if mode == "parse" else _write(codec, rows)
    start = time.perf_counter()
    count = run()
    seconds = time.perf_counter() - start
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"count": count, "seconds": seconds, "rss_mib": rss_mib}), file=sys.stderr)


def measure(mode: str, codec: str, rows: int, path: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--worker", mode, codec, "--rows", str(rows), str(path)]
    sink = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    proc = subprocess.run(cmd, stdout=sink.stdin, stderr=subprocess.PIPE, check=True, text=True)
    sink.stdin.close()  # type: ignore[union-attr]
    sink.wait()
    result: dict[str, float] = json.loads(proc.stderr.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "CODEC"))
    parser.add_argument("path", nargs="?", type=Path)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1], args.rows, args.path)
        return
    path = write_stream(OUT / f"events-{args.rows}.jsonl", args.rows)
    print(f"# message codecs, {args.rows:,} rows x 12 columns, median of {args.repeat} runs")
    print("| mode | codec | records/s | vs bare orjson | peak RSS MiB |")
    print("| --- | --- | ---: | ---: | ---: |")
    for mode in ("parse", "write"):
        rates: dict[str, float] = {}
        for codec in CODECS:
            runs = [measure(mode, codec, args.rows, path) for _ in range(args.repeat)]
            rates[codec] = statistics.median(r["count"] / r["seconds"] for r in runs)
            rss = statistics.median(r["rss_mib"] for r in runs)
            ratio = rates[codec] / rates["bare-orjson"]
            print(f"| {mode} | {codec} | {rates[codec]:,.0f} | {ratio:.2f} | {rss:.0f} |")
        speedup = rates["elt"] / rates["sdk-default"]
        print(f"| {mode} | elt vs sdk-default | | {speedup:.1f}x | |", flush=True)


if __name__ == "__main__":
    main()
