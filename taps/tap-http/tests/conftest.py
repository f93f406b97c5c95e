"""Fixtures: a real local API server, and running the tap in process or as ``tap-http``.

``sync`` runs ``TapHttp`` in this process with stdout captured; ``run_tap`` runs the
installed ``tap-http`` executable in a subprocess with config and state files, as a
scheduler would. Both parse the output with elt's reader.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tap_http import TapHttp

from elt.protocol import read_messages

# The test server module sits next to this file; importlib mode does not put it on the path.
sys.path.insert(0, str(Path(__file__).parent))
from tap_http_apiserver import ApiServer

TAP = Path(sys.executable).with_name("tap-http")


@dataclass
class Run:
    """What one run of the tap produced."""

    code: int
    messages: list[dict[str, Any]]
    stderr: str = ""

    def records(self, stream: str | None = None) -> list[dict[str, Any]]:
        return [
            m["record"]
            for m in self.messages
            if m["type"] == "RECORD" and (stream is None or m["stream"] == stream)
        ]

    def schema(self, stream: str) -> dict[str, Any]:
        return next(
            m["schema"] for m in self.messages if m["type"] == "SCHEMA" and m["stream"] == stream
        )

    def state(self) -> dict[str, Any]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"][-1]


@pytest.fixture
def api() -> Iterator[ApiServer]:
    server = ApiServer()
    yield server
    server.stop()


def _parse(output: bytes) -> list[dict[str, Any]]:
    return list(read_messages(io.BytesIO(output)))


@pytest.fixture
def sync() -> Callable[..., Run]:
    """Sync ``TapHttp`` in process: ``sync(config, state=None)``."""

    def run(config: dict[str, Any], state: dict[str, Any] | None = None) -> Run:
        tap = TapHttp(config=config, state=state)
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding="utf-8")
        with redirect_stdout(out):
            try:
                tap.sync_all()
            finally:
                tap.message_writer.flush()  # type: ignore[attr-defined]
                out.flush()
        return Run(0, _parse(raw.getvalue()))

    return run


@pytest.fixture
def run_tap(tmp_path: Path) -> Callable[..., Run]:
    def run(config: dict[str, Any], state: dict[str, Any] | None = None, *args: str) -> Run:
        config_file = tmp_path / "config.json"
        config_file.write_text(json.dumps(config))
        argv = [str(TAP), "--config", str(config_file), *args]
        if state is not None:
            state_file = tmp_path / "state.json"
            state_file.write_text(json.dumps(state))
            argv += ["--state", str(state_file)]
        done = subprocess.run(argv, capture_output=True, timeout=120, check=False)
        messages = _parse(done.stdout) if done.returncode == 0 else []
        return Run(done.returncode, messages, done.stderr.decode())

    return run
