"""The scenario of the README's ``elt ui`` example: each command of the block started as
written, in a project with a run, and asked for its pages."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from core.tests.plugins import TAP, TARGET, ToyProject
from elt import Project
from tests.readme.examples import BIN, Example
from tests.readme.scenarios import scenario

_SERVING = re.compile(r"serving (http://\S+?)[;,]")


def start(script: str, cwd: Path) -> tuple[subprocess.Popen[str], str]:
    """Run ``script`` as a reader's bash does (its own process group, to stop it by its id);
    the URL it serves on once it says so."""
    environment = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in ("ELT_PROJECT_ROOT", "ELT_UI_TOKEN"):
        environment.pop(name, None)
    process = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    for line in process.stderr:
        found = _SERVING.search(line)
        if found:
            return process, found.group(1)
        assert time.monotonic() < deadline, "elt ui did not start"
    raise AssertionError(f"elt ui exited {process.wait()} without serving")


def stop(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


@scenario("web-ui")
def web_ui(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The first line serves the page on 127.0.0.1:5080; the next two, with a token in the
    environment, on every address, read-only, asking each request for the token."""
    toy = ToyProject(tmp_path / "project").write()
    ran = Project.open(toy.root).run(TAP, TARGET)
    lines = [line for line in found.text.splitlines() if line.strip()]
    assert len(lines) == 3

    local, url = start(lines[0], toy.root)
    try:
        assert url == "http://127.0.0.1:5080"
        runs = httpx.get(url + "/runs", timeout=30)
        assert runs.status_code == 200
        assert ran.run_id in runs.text
    finally:
        stop(local)

    shared, url = start("\n".join(lines[1:]), toy.root)
    try:
        assert url == "http://0.0.0.0:5090"
        page = httpx.get("http://127.0.0.1:5090/runs", timeout=30)
        assert page.status_code == 401
        assert httpx.get("http://127.0.0.1:5090/static/elt.css", timeout=30).status_code == 200
    finally:
        stop(shared)
