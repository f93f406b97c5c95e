from __future__ import annotations

import stat
from pathlib import Path

import pytest

from elt.project.envfile import quote, set_variable, unset_variable
from elt.project.loader import read_dotenv


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_env_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    set_variable(tmp_path / ".env", "TAP_X_PASSWORD", "hunter2")
    assert mode(tmp_path / ".env") == 0o600
    assert read_dotenv(tmp_path) == {"TAP_X_PASSWORD": "hunter2"}


def test_an_existing_env_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("A=1\n")
    path.chmod(0o640)
    set_variable(path, "B", "2")
    assert mode(path) == 0o640


@pytest.mark.parametrize(
    "value",
    ["plain", "it's", "back\\slash", "p${x}ss", "$$", "a # not a comment", "two\nlines", ""],
)
def test_values_read_back_exactly_as_written(tmp_path: Path, value: str) -> None:
    set_variable(tmp_path / ".env", "V", value)
    assert read_dotenv(tmp_path) == {"V": value}


def test_setting_a_variable_replaces_it_in_place_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("# secrets\nexport A=1\nB='multi\nline'\nA=again\nC=3")
    set_variable(path, "A", "new")
    assert path.read_text() == "# secrets\nA='new'\nB='multi\nline'\nC=3"
    set_variable(path, "D", "4")
    assert path.read_text().endswith("C=3\nD='4'\n")


def test_unset_removes_every_definition(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("A=1\nB=2\nA=3\n")
    assert unset_variable(path, "A")
    assert path.read_text() == "B=2\n"
    assert not unset_variable(path, "A")


def test_unset_without_a_file_changes_nothing(tmp_path: Path) -> None:
    assert not unset_variable(tmp_path / ".env", "A")
    assert not (tmp_path / ".env").exists()


def test_quote_escapes_quotes_and_backslashes() -> None:
    assert quote("a'b\\c") == "'a\\'b\\\\c'"
