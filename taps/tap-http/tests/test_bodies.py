"""One response's decompressed size is bounded, memory stays flat, JSON Lines are streamed.

Peak memory is the real ``tap-http`` process's high-water mark (``VmHWM``), read while it
runs: ``wait4``'s ``ru_maxrss`` would count the test process it was forked from.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.apiserver import ApiServer, Reply
from tests.fixtures.hostile import gzip_bomb
from tests.fixtures.taps import parse

TAP = Path(sys.executable).with_name("tap-http")
SCHEMA = {"properties": {"id": {"type": "integer"}, "text": {"type": "string"}}}

# A tap-http process at rest is ~50 MB; these bodies would take it to hundreds.
FLAT_MB = 100


@dataclass
class Measured:
    code: int
    stdout: bytes
    stderr: str
    peak_mb: float


def _high_water_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _run_measured(config: dict[str, Any], folder: Path) -> Measured:
    """``tap-http --config …`` with its peak resident memory."""
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    out, err = folder / "out.jsonl", folder / "err.log"
    peak = [0.0]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [str(TAP), "--config", str(folder / "config.json")], stdout=stdout, stderr=stderr
        )

        def watch() -> None:
            while process.poll() is None:
                peak[0] = max(peak[0], _high_water_mb(process.pid))
                time.sleep(0.01)

        watcher = threading.Thread(target=watch)
        watcher.start()
        process.wait(timeout=120)
        watcher.join()
    return Measured(
        process.returncode,
        out.read_bytes(),
        err.read_text(encoding="utf-8", errors="replace"),
        peak[0],
    )


def _config(api: ApiServer, **top: Any) -> dict[str, Any]:
    return {
        "api_url": api.url,
        "max_tries": 1,
        "streams": [{"name": "items", "path": "/items", "schema": SCHEMA}],
        **top,
    }


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """408 KB of gzip that decompresses to 400 MiB."""
    return gzip_bomb(400)


def test_a_gzip_bomb_ends_the_run_with_75_naming_the_url_in_flat_memory(
    api: ApiServer, bomb: bytes, tmp_path: Path
) -> None:
    assert len(bomb) < 420_000
    api.routes["/items"] = lambda r: Reply(raw=bomb, headers={"Content-Encoding": "gzip"})
    run = _run_measured(_config(api), tmp_path)
    assert run.code == 75, run.stderr
    assert f"{api.url}/items" in run.stderr
    assert "larger than max_response_bytes (268,435,456 bytes) once decompressed" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.peak_mb < FLAT_MB, f"peak RSS {run.peak_mb:.0f} MB"


def test_max_response_bytes_bounds_a_plain_body_too(api: ApiServer, sync) -> None:
    api.routes["/items"] = lambda r: Reply(body=[{"id": i, "text": "x" * 50} for i in range(100)])
    with pytest.raises(Exception, match=r"larger than max_response_bytes \(1,000 bytes\)"):
        sync(_config(api, max_response_bytes=1000))
    assert len(sync(_config(api, max_response_bytes=10_000)).records()) == 100


def test_a_large_json_lines_body_is_streamed_in_flat_memory(api: ApiServer, tmp_path: Path) -> None:
    rows = 400_000
    line = '{"id": %d, "text": "' + "x" * 80 + '"}\n'
    body = "".join(line % i for i in range(rows)).encode()
    assert len(body) > 40 << 20
    api.routes["/items"] = lambda r: Reply(
        raw=body, headers={"Content-Type": "application/x-ndjson"}
    )
    run = _run_measured(_config(api), tmp_path)
    assert run.code == 0, run.stderr
    records = [m for m in parse(run.stdout) if m["type"] == "RECORD"]
    assert len(records) == rows
    assert records[-1]["record"] == {"id": rows - 1, "text": "x" * 80}
    assert run.peak_mb < FLAT_MB, f"peak RSS {run.peak_mb:.0f} MB"


def test_a_large_json_body_under_the_limit_is_read_whole(api: ApiServer, sync) -> None:
    rows = [{"id": i, "text": "y" * 100} for i in range(200_000)]  # ~24 MB: past memory's share
    raw = json.dumps(rows).encode()
    api.routes["/items"] = lambda r: Reply(raw=raw)
    assert sync(_config(api)).records() == rows
