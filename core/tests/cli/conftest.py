"""Run the real ``elt`` click group in-process against projects in tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from elt.cli import cli
from tests.fixtures.apiserver import ApiServer

Elt = Callable[..., Result]


@pytest.fixture
def elt() -> Elt:
    """``elt(*args, env=..., input=...)``: invoke the CLI, stdout and stderr kept apart."""
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        return runner.invoke(cli, list(args), env=env, input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def project(tmp_path: Path, elt: Elt) -> Path:
    """A project made by ``elt init``, with one tap and one target."""
    root = tmp_path / "project"
    assert elt("init", str(root)).exit_code == 0
    assert (
        elt("--project", str(root), "add", "tap", "tap-csv", "--pip-url", "tap-csv").exit_code == 0
    )
    assert elt("--project", str(root), "add", "target", "target-postgres").exit_code == 0
    return root


@pytest.fixture
def webhook() -> Iterator[ApiServer]:
    """A real local HTTP server to receive alerts."""
    server = ApiServer()
    yield server
    server.stop()
