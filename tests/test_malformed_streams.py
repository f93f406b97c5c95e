"""The malformed-stream corpus (tests/fixtures/malformed.py) through every consumer of a
Singer stream: ``elt inspect``, target-postgres, target-files (JSONL, and Parquet, whose
fast path hands whole lines to pyarrow). Each case: exit 65, one error line naming the line
at fault and no traceback, in bounded time and memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.malformed import CASES, Case

BIN = Path(sys.executable).parent
SECONDS = 30.0  # a clean refusal takes about a second; a hang or a quadratic pass does not
PEAK_MIB = 300  # pyarrow's own footprint is ~90 MiB; a case must not add its size to it
CONSUMERS = ("elt-inspect", "target-postgres", "target-files", "target-files-parquet")


@dataclass(frozen=True)
class Outcome:
    code: int
    stderr: str
    seconds: float
    peak_mib: float


def run_bounded(argv: list[str], data: Path) -> Outcome:
    """Run ``argv`` on ``data`` as stdin; its exit code, stderr, time and peak RSS."""
    started = time.monotonic()
    with data.open("rb") as stdin:
        process = subprocess.Popen(
            argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        pipe = process.stderr
        assert pipe is not None
        stderr: list[bytes] = []
        reader = threading.Thread(target=lambda: stderr.append(pipe.read()))
        reader.start()
        killer = threading.Timer(SECONDS * 2, process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        reader.join()
        process.returncode = os.waitstatus_to_exitcode(status)
    return Outcome(
        process.returncode,
        b"".join(stderr).decode("utf-8", errors="replace"),
        time.monotonic() - started,
        usage.ru_maxrss / 1024,
    )


def consumer_argv(consumer: str, tmp_path: Path, request: pytest.FixtureRequest) -> list[str]:
    if consumer == "elt-inspect":
        return [str(BIN / "elt"), "inspect"]
    if consumer == "target-postgres":
        config = {"sqlalchemy_url": request.getfixturevalue("pg_database")}
    else:
        config = {"path": str(tmp_path / "lake")}
        if consumer.endswith("parquet"):
            config["format"] = "parquet"
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    return [str(BIN / consumer.removesuffix("-parquet")), "--config", str(config_file)]


@pytest.mark.parametrize("consumer", CONSUMERS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_a_malformed_stream_is_refused_in_one_paragraph_naming_its_line(
    case: Case, consumer: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    data = tmp_path / f"{case.name}.jsonl"
    data.write_bytes(case.build())
    outcome = run_bounded(consumer_argv(consumer, tmp_path, request), data)
    assert outcome.code == 65, outcome.stderr[-2000:]
    assert "Traceback" not in outcome.stderr
    errors = [
        line
        for line in outcome.stderr.splitlines()
        if line.startswith("error: ") or "| ERROR " in line or "| CRITICAL " in line
    ]
    assert len(errors) == 1, outcome.stderr[-2000:]
    assert f"<stdin> line {case.line}" in errors[0]
    assert outcome.seconds < SECONDS
    assert outcome.peak_mib < PEAK_MIB
