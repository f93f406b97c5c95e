"""Real Singer plugins for run tests: two small scripts run as executables, no mocks.

:class:`ToyProject` installs ``toy-tap`` and ``toy-target`` (see their docstrings for the
config keys that make them fail in every way a run must survive) into a ``bin`` directory
with a ``#!`` line naming this Python, and writes a project that runs them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elt.project import Project, load_project
from elt.state import LocalStateStore

HERE = Path(__file__).parent
TAP = "toy-tap"
TARGET = "toy-target"
MAPPER = "toy-mapper"
STATE_ID = f"default:{TAP}-to-{TARGET}"


def install(bin_dir: Path) -> None:
    """Write ``toy-tap``, ``toy-mapper`` and ``toy-target`` executables into ``bin_dir``."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, source in ((TAP, "toy_tap.py"), (MAPPER, "toy_mapper.py"), (TARGET, "toy_target.py")):
        path = bin_dir / name
        path.write_text(f"#!{sys.executable}\n" + (HERE / source).read_text())
        path.chmod(0o755)


@dataclass
class ToyProject:
    """A project in ``root`` whose plugins are the toys in ``root/bin``."""

    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def output(self) -> Path:
        """The file the target appends committed records to."""
        return self.root / "output.jsonl"

    def write(
        self,
        *,
        tap: dict[str, Any] | None = None,
        target: dict[str, Any] | None = None,
        mapper: dict[str, Any] | None = None,
        **tap_spec: Any,
    ) -> ToyProject:
        """(Re)write plugins.yml: config of each toy, and extra keys of the tap's entry."""
        install(self.bin)
        document = {
            "version": 1,
            "plugins": {
                "taps": [
                    {
                        "name": TAP,
                        "executable": str(self.bin / TAP),
                        "config": tap or {},
                        "settings": [{"name": "password", "kind": "password"}],
                        **tap_spec,
                    }
                ],
                "mappers": [
                    {
                        "name": MAPPER,
                        "executable": str(self.bin / MAPPER),
                        "config": mapper or {},
                    }
                ],
                "targets": [
                    {
                        "name": TARGET,
                        "executable": str(self.bin / TARGET),
                        "config": {"path": str(self.output), **(target or {})},
                    }
                ],
            },
        }
        (self.root / "plugins.yml").write_text(json.dumps(document, indent=2))
        return self

    def project(self) -> Project:
        return load_project(self.root)

    def records(self, stream: str = "items") -> list[dict[str, Any]]:
        """What the target committed, in order."""
        if not self.output.exists():
            return []
        lines = self.output.read_text().splitlines()
        return [r for r in map(json.loads, lines) if r["stream"] == stream]

    def ids(self) -> list[int]:
        return [r["id"] for r in self.records()]

    def state(self, state_id: str = STATE_ID) -> Any:
        """The stored state."""
        return LocalStateStore.in_project(self.root).get(state_id)

    def start_run(self, *options: str) -> subprocess.Popen[str]:
        """``elt run toy-tap toy-target OPTIONS…`` as a process of its own, output piped."""
        return subprocess.Popen(
            [elt_executable(), "--project", str(self.root), "run", TAP, TARGET, *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def report(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads((self.root / name).read_text())
        return result

    def logs(self) -> list[Path]:
        return sorted((self.root / ".elt" / "logs").rglob("*.log"))


def is_alive(pid: int) -> bool:
    """Whether a process exists (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def elt_executable() -> str:
    """The ``elt`` console script of this environment."""
    return os.path.join(os.path.dirname(sys.executable), "elt")


def wait_for(condition: Callable[[], object], timeout: float = 20.0) -> None:
    """Poll ``condition`` until it is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {condition}")
        time.sleep(0.02)
