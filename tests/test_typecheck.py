"""Strict mypy covers all of our code: core and every plugin, so a new plugin is not left out."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_mypy_checks_core_and_every_plugin() -> None:
    settings = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    sources = {
        path.relative_to(REPO).as_posix()
        for kind in ("taps", "targets")
        for path in (REPO / kind).glob("*/src")
    }
    assert settings["strict"] is True
    assert set(settings["files"]) == {"core/src", *sources}
