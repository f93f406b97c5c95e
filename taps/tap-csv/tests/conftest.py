"""Running tap-csv on real files: in process for data behaviour, as the real executable for CLI.

``sync`` runs ``TapCsv`` in this process with stdout captured; ``run_tap`` runs the installed
``tap-csv`` executable in a subprocess with config, state and catalog files, as a
scheduler would. Both parse the output with elt's reader, so numbers keep their digits.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tap_csv import TapCsv

from tests.fixtures.taps import TapRun, run_executable, sync_in_process

TAP = Path(sys.executable).with_name("tap-csv")


Run = TapRun


@pytest.fixture
def sync() -> Callable[..., Run]:
    """Sync ``TapCsv`` in process: ``sync(config, state=None, catalog=None)``."""

    def run(
        config: dict[str, Any],
        state: dict[str, Any] | None = None,
        catalog: dict[str, Any] | None = None,
    ) -> Run:
        return sync_in_process(TapCsv(config=config, state=state, catalog=catalog))

    return run


@pytest.fixture
def run_tap(tmp_path: Path) -> Callable[..., Run]:
    """Run the ``tap-csv`` executable in ``tmp_path``: ``run_tap(config, *args, state=, catalog=)``.

    Without ``--discover`` or ``--about`` in ``args`` it syncs; ``state`` and ``catalog``
    become files passed with ``--state`` and ``--catalog``.
    """

    def run(config: dict[str, Any], *args: str, **files: dict[str, Any] | None) -> Run:
        return run_executable(TAP, tmp_path, config, *args, **files)

    return run


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
