"""A real ``elt ui`` over a toy project, and an HTTP client that checks every answer for the
project's secret values."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.tests.plugins import MAPPER, TAP, TARGET, ToyProject
from elt import Project
from tests.fixtures.uiserver import UiServer, assert_clean

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


def csrf(client: httpx.Client, path: str = "/runs") -> str:
    """The CSRF token of the page at ``path``: what htmx sends in its header."""
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


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
