from __future__ import annotations

import stat
from pathlib import Path

import pytest

from elt.files import atomic_write


def test_atomic_write_creates_a_file_with_the_default_mode(tmp_path: Path) -> None:
    path = tmp_path / "plugins.yml"
    atomic_write(path, "version: 1\n")
    assert path.read_text() == "version: 1\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_atomic_write_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    path = tmp_path / "plugins.yml"
    path.write_text("old")
    path.chmod(0o600)
    atomic_write(path, "new")
    assert (path.read_text(), stat.S_IMODE(path.stat().st_mode)) == ("new", 0o600)


def test_atomic_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    atomic_write(tmp_path / "a", "x", mode=0o600)
    assert [p.name for p in tmp_path.iterdir()] == ["a"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "plugins.yml"
    path.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write(path, "bad \udc80 surrogate")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["plugins.yml"]
