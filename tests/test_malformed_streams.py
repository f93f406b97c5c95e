"""The malformed-stream corpus (tests/fixtures/malformed.py) through every consumer of a
Singer stream: ``elt inspect``, target-postgres, target-files (JSONL, and Parquet, whose
fast path hands whole lines to pyarrow). Each case: exit 65, one error line naming the line
at fault and no traceback, in bounded time and memory."""

from __future__ import annotations

import json
import subprocess
import sys
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


# Runs the consumer and reports its peak RSS. A child forked straight from this test
# process would count the test process's own pages (copied at fork, before exec) in its
# ru_maxrss; the launcher is small when it forks, so its children's maximum is the
# consumer's own.
_LAUNCHER = """
import resource, subprocess, sys
try:
    code = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL, timeout=float(sys.argv[1]))
except subprocess.TimeoutExpired:
    code = -9
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def run_bounded(argv: list[str], data: Path) -> Outcome:
    """Run ``argv`` on ``data`` as stdin; its exit code, stderr, time and peak RSS."""
    started = time.monotonic()
    with data.open("rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(SECONDS * 2), *argv],
            stdin=stdin,
            capture_output=True,
            check=False,
        )
    code, peak_kib = (int(word) for word in done.stdout.split())
    return Outcome(
        code,
        done.stderr.decode("utf-8", errors="replace"),
        time.monotonic() - started,
        peak_kib / 1024,
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
