from __future__ import annotations

import sys
from pathlib import Path

import pytest

from elt.project import SettingKind
from elt.run.about import declared_settings

ABOUT = """#!{python}
import json, sys
with open({count!r}, "a") as out:
    out.write("x")
if sys.argv[1:] != ["--about", "--format", "json"]:
    sys.exit(2)
print(json.dumps({{"name": "tap-fake", "settings": {{"type": "object", "properties": {{
    "port": {{"type": ["integer", "null"]}},
    "dsn": {{"type": "string", "secret": True, "writeOnly": True}},
    "filters": {{"type": ["array", "null"]}},
    "mixed": {{"type": ["string", "integer"]}},
    "not a setting name": {{"type": "string"}}
}}}}}}))
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"ELT_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}


def fake(tmp_path: Path, body: str = ABOUT) -> tuple[Path, Path]:
    count = tmp_path / "calls"
    executable = tmp_path / "tap-fake"
    executable.write_text(body.format(python=sys.executable, count=str(count)))
    executable.chmod(0o755)
    return executable, count


def test_settings_come_with_their_types_and_secrecy(tmp_path: Path, env: dict[str, str]) -> None:
    executable, _ = fake(tmp_path)
    specs = {s.name: s for s in declared_settings(executable, env) or ()}
    assert set(specs) == {"port", "dsn", "filters", "mixed"}
    assert specs["port"].kind is SettingKind.INTEGER
    assert specs["filters"].kind is SettingKind.ARRAY
    assert specs["mixed"].kind is SettingKind.STRING
    assert specs["dsn"].secret is True
    assert specs["port"].secret is None


def test_the_answer_is_cached_until_the_executable_changes(
    tmp_path: Path, env: dict[str, str]
) -> None:
    executable, count = fake(tmp_path)
    declared_settings(executable, env)
    declared_settings(executable, env)
    assert count.read_text() == "x"
    executable.write_text(executable.read_text() + "\n# reinstalled\n")
    declared_settings(executable, env)
    assert count.read_text() == "xx"


def test_a_plugin_without_about_declares_nothing_and_is_asked_once(
    tmp_path: Path, env: dict[str, str]
) -> None:
    executable, count = fake(tmp_path, "#!/bin/sh\necho -n x >> {count}\nexit 2\n")
    assert declared_settings(executable, env) is None
    assert declared_settings(executable, env) is None
    assert count.read_text() == "x"


def test_our_target_postgres_declares_its_password_secret(env: dict[str, str]) -> None:
    executable = Path(sys.executable).with_name("target-postgres")
    specs = {s.name: s for s in declared_settings(executable, env) or ()}
    assert specs["password"].secret is True
    assert specs["port"].kind is SettingKind.INTEGER
