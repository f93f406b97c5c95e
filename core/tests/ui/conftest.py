"""A real ``elt ui`` over a toy project, and an HTTP client that checks every answer for the
project's secret values."""

from __future__ import annotations

import json
import os
import queue
import re
import secrets
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.tests.plugins import MAPPER, TAP, TARGET, ToyProject, elt_executable
from elt import Project

START_TIMEOUT = 30.0
_SERVING = re.compile(r"serving (http://\S+?)[;,]")


@dataclass
class UiProject:
    """A toy project with a job, two schedules and three secrets the page must never show:
    the tap's password (from .env), the target's api_token (plugins.yml) and a password
    given to one run as ``config``."""

    toy: ToyProject
    secrets: tuple[str, ...] = ()

    @property
    def root(self) -> Path:
        return self.toy.root

    def api(self) -> Project:
        return Project.open(self.root)

    @property
    def run_secret(self) -> str:
        return self.secrets[2]


def ui_project(root: Path) -> UiProject:
    password, api_token, run_secret = (f"s3cr3t-{secrets.token_hex(6)}" for _ in range(3))
    toy = ToyProject(root).write(tap={"count": 5}, target={"api_token": api_token})
    document = json.loads((root / "plugins.yml").read_text())
    document["jobs"] = [
        {"name": "nightly", "tasks": [f"{TAP} {TARGET}", f"{TAP} {MAPPER} {TARGET}"]},
        {
            "name": "fan",
            "tasks": [f"{TAP} {TARGET}", f"{TAP} {MAPPER} {TARGET}"],
            "depends_on": {f"{TAP} {MAPPER} {TARGET}": []},
        },
    ]
    document["schedules"] = [
        {"name": "now", "run": f"{TAP} {TARGET}", "interval": "@daily", "timezone": "Asia/Tokyo"},
        {"name": "night", "job": "nightly", "interval": "0 3 * * *"},
    ]
    (root / "plugins.yml").write_text(json.dumps(document, indent=2))
    (root / ".env").write_text(f"TOY_TAP_PASSWORD={password}\n")
    return UiProject(toy, (password, api_token, run_secret))


class Scanned(httpx.Client):
    """An httpx client whose every answer (headers and body) is checked for the secrets."""

    def __init__(self, base_url: str, forbidden: tuple[str, ...], **options: Any) -> None:
        self.forbidden = forbidden
        super().__init__(base_url=base_url, timeout=30, event_hooks={"response": [self._scan]})

    def _scan(self, response: httpx.Response) -> None:
        response.read()
        assert_clean(response.text + str(response.headers), self.forbidden)


def csrf(client: httpx.Client, path: str = "/runs") -> str:
    """The CSRF token of the page at ``path``: what htmx sends in its header."""
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def assert_clean(text: str, forbidden: tuple[str, ...]) -> None:
    leaked = [value for value in forbidden if value in text]
    assert leaked == [], f"a secret value was sent: {leaked}"


@dataclass
class UiServer:
    """``elt --project ROOT ui --port 0 ARGS…`` as a process of its own; stopped by pid."""

    root: Path
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    forbidden: tuple[str, ...] = ()
    url: str = ""
    process: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)

    def start(self) -> UiServer:
        command = [elt_executable(), "--project", str(self.root), "ui", "--port", "0", *self.args]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **self.env},
        )
        found: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._drain, args=(found,), daemon=True).start()
        try:
            url = found.get(timeout=START_TIMEOUT)
        except queue.Empty:
            self.stop()
            raise AssertionError(f"elt ui did not start: {self.stderr}") from None
        if url is None:
            raise AssertionError(f"elt ui exited {self.process.wait()}: {self.stderr}")
        self.url = url
        return self

    def _drain(self, found: queue.Queue[str | None]) -> None:
        assert self.process is not None
        assert self.process.stderr is not None
        told = False
        for line in self.process.stderr:
            self.lines.append(line)
            match = _SERVING.search(line)
            if match and not told:
                found.put(match.group(1))
                told = True
        if not told:
            found.put(None)

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def client(self, **options: Any) -> Scanned:
        return Scanned(self.url, self.forbidden, **options)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def project(tmp_path: Path) -> UiProject:
    return ui_project(tmp_path / "project")


@pytest.fixture
def serve(project: UiProject) -> Iterator[Any]:
    """``serve(*args, env=...)``: start ``elt ui`` over the project; stopped after the test,
    and its stderr checked for the secrets and the token."""
    servers: list[UiServer] = []

    def start(*args: str, env: dict[str, str] | None = None) -> UiServer:
        given = env or {}
        forbidden = (*project.secrets, *[v for k, v in given.items() if k == "ELT_UI_TOKEN"])
        server = UiServer(project.root, args, given, forbidden)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()
        assert_clean(server.stderr, server.forbidden)
