"""A newcomer's shell: a project made by ``elt init`` outside the checkout, commands typed
as the READMEs show them, and what a person reads back.

Nothing here uses the checkout's plugins.yml or a test helper's shortcuts: each step is a
command line run by bash in the project, with the workspace's ``bin`` on PATH as after
``source .venv/bin/activate``.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.readme.examples import run_bash


@dataclass
class Shell:
    """Commands run in one directory, with variables exported for every command."""

    cwd: Path
    env: dict[str, str]

    def run(
        self, command: str, *, input_file: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        script = command if input_file is None else f"{command} < {shlex.quote(str(input_file))}"
        return run_bash(script, self.cwd, self.env)

    def ok(self, command: str) -> str:
        done = self.run(command)
        assert done.returncode == 0, f"$ {command}\n{done.stdout}\n{done.stderr}"
        return done.stdout


def new_project(root: Path, env: dict[str, str] | None = None) -> Shell:
    """``elt init`` in an empty directory, and a shell inside the new project."""
    root.mkdir(parents=True, exist_ok=True)
    Shell(root, {}).ok("elt init project")
    return Shell(root / "project", dict(env or {}))


def elt_error(done: subprocess.CompletedProcess[str], code: int) -> str:
    """Assert an ``elt`` command failed with ``code``, saying so in one paragraph that
    starts with ``error:``, once, without a traceback; return that paragraph."""
    assert done.returncode == code, f"exit {done.returncode}, expected {code}:\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.count("error: ") == 1, done.stderr
    return done.stderr[done.stderr.index("error: ") :].split("\n\n", 1)[0]


def plugin_error(done: subprocess.CompletedProcess[str], code: int) -> str:
    """Assert a plugin run alone failed with ``code`` and one ERROR line, without a
    traceback; return the line."""
    assert done.returncode == code, f"exit {done.returncode}, expected {code}:\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, done.stderr
    return errors[0]
