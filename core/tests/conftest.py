"""Fixtures shared by the core tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.tests.plugins import ToyProject


@pytest.fixture
def toy(tmp_path: Path) -> ToyProject:
    """A project whose tap and target are the real toy Singer plugins."""
    return ToyProject(tmp_path / "project").write()
