"""Projects written to tmp_path as real files."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

WriteProject = Callable[..., Path]


@pytest.fixture
def write_project(tmp_path: Path) -> WriteProject:
    """Write plugins.yml (dedented) and optionally .env into tmp_path; return the root."""

    def write(plugins_yml: str, dotenv: str | None = None) -> Path:
        (tmp_path / "plugins.yml").write_text(textwrap.dedent(plugins_yml), encoding="utf-8")
        if dotenv is not None:
            (tmp_path / ".env").write_text(textwrap.dedent(dotenv), encoding="utf-8")
        return tmp_path

    return write
