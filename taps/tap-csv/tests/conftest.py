"""Running tap-csv on real files: in process for data behaviour, as the real executable for CLI.

``sync`` runs ``TapCsv`` in this process with stdout captured; ``run_tap`` runs the installed
``tap-csv`` executable in a subprocess with config, state and catalog files, as a
scheduler would. Both parse the output with elt's reader, so numbers keep their digits.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tap_csv import TapCsv

from elt.protocol import read_messages

TAP = Path(sys.executable).with_name("tap-csv")


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

    def types(self) -> list[str]:
        return [m["type"] for m in self.messages]

    def schemas(self) -> list[dict[str, Any]]:
        return [m["schema"] for m in self.messages if m["type"] == "SCHEMA"]

    @property
    def state(self) -> dict[str, Any]:
        return next(m["value"] for m in reversed(self.messages) if m["type"] == "STATE")


def parse(output: bytes) -> list[dict[str, Any]]:
    return list(read_messages(io.BytesIO(output)))


@pytest.fixture
def sync() -> Callable[..., Run]:
    """Sync ``TapCsv`` in process: ``sync(config, state=None, catalog=None)``."""

    def run(
        config: dict[str, Any],
        state: dict[str, Any] | None = None,
        catalog: dict[str, Any] | None = None,
    ) -> Run:
        tap = TapCsv(config=config, state=state, catalog=catalog)
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding="utf-8")
        with redirect_stdout(out):
            try:
                tap.sync_all()
            finally:
                tap.message_writer.flush()  # what a failed run had buffered goes nowhere else
                out.flush()
        return Run(0, parse(raw.getvalue()))

    return run


@pytest.fixture
def run_tap(tmp_path: Path) -> Callable[..., Run]:
    """Run the ``tap-csv`` executable in ``tmp_path``: ``run_tap(config, *args, state=, catalog=)``.

    Without ``--discover`` or ``--about`` in ``args`` it syncs; ``state`` and ``catalog``
    become files passed with ``--state`` and ``--catalog``.
    """

    def run(
        config: dict[str, Any],
        *args: str,
        state: dict[str, Any] | None = None,
        catalog: dict[str, Any] | None = None,
    ) -> Run:
        argv = [str(TAP), "--config", _write(tmp_path / "config.json", config), *args]
        if state is not None:
            argv += ["--state", _write(tmp_path / "state.json", state)]
        if catalog is not None:
            argv += ["--catalog", _write(tmp_path / "catalog.json", catalog)]
        result = subprocess.run(argv, cwd=tmp_path, capture_output=True, timeout=120, check=False)
        stderr = result.stderr.decode("utf-8", "replace")
        if "--discover" in args or "--about" in args:
            messages = [json.loads(result.stdout)] if result.returncode == 0 else []
        else:
            messages = parse(result.stdout) if result.returncode == 0 else []
        return Run(result.returncode, messages, stderr)

    return run


def _write(path: Path, value: dict[str, Any]) -> str:
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write a file under ``tmp_path``: ``write("a.csv", "id\\n1\\n")`` (str or bytes)."""

    def make(name: str, content: str | bytes, *, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode(encoding) if isinstance(content, str) else content
        path.write_bytes(data)
        return path

    return make
