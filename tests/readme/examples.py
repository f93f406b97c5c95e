"""The examples of every README: each fenced ``bash``/``sh``/``json``/``yaml``/``python`` block.

A README example must work exactly as written, so each one is run (or, for a config
fragment, loaded and used) by a test. The line before a block names it,
``<!-- example: NAME -->``, and :mod:`tests.readme.test_examples` holds one scenario per
name: it prepares what a reader is assumed to have (a config file the text describes, a
database, a bucket), then runs the block's own text. A block without a name, or a name
without a scenario, fails the suite, so no example goes untested.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LANGUAGES = frozenset({"bash", "sh", "json", "yaml", "yml", "python"})
BIN = Path(sys.executable).parent

_FENCE = re.compile(r"^```(?P<language>[A-Za-z0-9_-]*)[ \t]*$")
_MARKER = re.compile(r"^<!-- example: (?P<name>[a-z0-9][a-z0-9-]*)(?: [^>]*)? -->$")


@dataclass(frozen=True)
class Example:
    """One fenced block of a README: where it is, its language, its name and its text."""

    readme: str  # relative to the repository
    line: int  # of the opening fence
    language: str
    name: str | None
    text: str

    @property
    def where(self) -> str:
        return f"{self.readme}:{self.line}"


def readmes() -> list[Path]:
    """The READMEs whose examples are tested: the repository's and every plugin's."""
    return [
        REPO / "README.md",
        *sorted(REPO.glob("taps/*/README.md")),
        *sorted(REPO.glob("targets/*/README.md")),
    ]


def examples_in(path: Path) -> list[Example]:
    """The fenced blocks in ``LANGUAGES`` of one README, with the name the line before gives."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Example] = []
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        language = fence.group("language").lower()
        if language in LANGUAGES:
            marker = _MARKER.match(lines[index - 1]) if index else None
            found.append(
                Example(
                    readme=path.relative_to(REPO).as_posix(),
                    line=index + 1,
                    language=language,
                    name=marker.group("name") if marker else None,
                    text="\n".join(lines[index + 1 : end]) + "\n",
                )
            )
        index = end + 1
    return found


def all_examples() -> list[Example]:
    return [example for path in readmes() for example in examples_in(path)]


def example(name: str) -> Example:
    """The one example called ``name``."""
    [found] = [e for e in all_examples() if e.name == name]
    return found


def run_bash(
    script: str, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``script`` as a reader runs it: bash with ``set -euo pipefail``, the workspace's
    ``bin`` first on PATH (elt and every plugin), in ``cwd``."""
    environment = {**os.environ, **(env or {})}
    environment["PATH"] = f"{BIN}{os.pathsep}{environment.get('PATH', '')}"
    environment.pop("ELT_PROJECT_ROOT", None)
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
