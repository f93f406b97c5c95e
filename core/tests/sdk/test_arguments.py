"""elt.sdk.arguments: --config, --state and --catalog values read, or one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from elt.errors import ConfigError
from elt.sdk.arguments import config_argument, read_catalog_file, read_state_file


def test_config_is_a_file_an_inline_object_or_env(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"path": "lake"}')
    assert config_argument(str(path)) == {"path": "lake"}
    assert config_argument(' {"path": "lake"}') == {"path": "lake"}
    assert config_argument("ENV") is None


def test_an_inline_config_error_does_not_quote_the_config() -> None:
    with pytest.raises(ConfigError) as raised:
        config_argument('{"password": "hunter2",}')
    assert "hunter2" not in str(raised.value)
    assert "the inline --config JSON: not valid JSON at line 1" in str(raised.value)


def test_config_must_be_an_object(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text("[1]")
    with pytest.raises(ConfigError, match="expected a JSON object, got list"):
        config_argument(str(path))


def test_a_state_file_may_be_one_object_or_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{\n  "bookmarks": {"a": {"v": 1}}\n}\n')
    assert read_state_file(str(path)) == {"bookmarks": {"a": {"v": 1}}}
    path.write_text('{"bookmarks": {"a": {"v": 1}}}\n\n{"bookmarks": {"a": {"v": 2}}}\n')
    assert read_state_file(str(path)) == {"bookmarks": {"a": {"v": 2}}}


def test_an_empty_state_file_is_no_state(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("\n")
    assert read_state_file(str(path)) == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"bookmarks": {}}\n{"bookm', "line 2: not valid JSON"),
        ('{"bookmarks": {}}\n[1]\n', "line 2: expected a JSON object, got list"),
        ("\xff", None),
    ],
)
def test_a_broken_state_file_names_the_line(
    tmp_path: Path, text: str, expected: str | None
) -> None:
    path = tmp_path / "s.json"
    if expected is None:
        path.write_bytes(b"\xff\xfe")
        expected = "is not UTF-8 text"
    else:
        path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        read_state_file(str(path))
    assert raised.value.exit_code == 78
    assert expected in str(raised.value)


def test_missing_files_say_which_and_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"the state file .* does not exist"):
        read_state_file(str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="Write one with --discover"):
        read_catalog_file(str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="is a directory"):
        read_state_file(str(tmp_path))
