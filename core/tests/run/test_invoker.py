from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from core.tests.plugins import TAP, ToyProject
from elt.errors import ConfigError, PluginError
from elt.project import load_project
from elt.run import find_executable, plugin_environment, prepare
from elt.run.invoker import shown_overrides


def write(root: Path, plugins_yml: str, dotenv: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "plugins.yml").write_text(plugins_yml)
    (root / ".env").write_text(dotenv)
    return root


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


SIMPLE = "version: 1\nplugins:\n  taps:\n    - name: tap-x\n"


def test_the_plugin_virtualenv_comes_before_path(tmp_path: Path) -> None:
    root = write(tmp_path / "p", SIMPLE)
    on_path = executable(tmp_path / "bin" / "tap-x")
    own = executable(root / ".elt" / "plugins" / "tap" / "tap-x" / "venv" / "bin" / "tap-x")
    project = load_project(root)
    plugin = project.plugin("tap-x")
    assert find_executable(project, plugin, str(on_path.parent)) == own
    own.unlink()
    assert find_executable(project, plugin, f"/nonexistent:{on_path.parent}") == on_path


def test_an_executable_beside_the_running_python_is_found_without_path(tmp_path: Path) -> None:
    root = write(tmp_path / "p", SIMPLE + "      executable: elt\n")
    project = load_project(root)
    found = find_executable(project, project.plugin("tap-x"), "")
    assert found == Path(sys.executable).parent.absolute() / "elt"


def test_an_executable_with_a_slash_is_a_path_from_the_project_root(tmp_path: Path) -> None:
    root = write(tmp_path / "p", SIMPLE + "      executable: scripts/tap\n")
    script = executable(root / "scripts" / "tap")
    project = load_project(root)
    assert find_executable(project, project.plugin("tap-x"), "") == script.resolve()


def test_a_missing_executable_says_where_it_was_looked_for(tmp_path: Path) -> None:
    root = write(tmp_path / "p", SIMPLE)
    project = load_project(root)
    with pytest.raises(PluginError) as raised:
        find_executable(project, project.plugin("tap-x"), "")
    text = str(raised.value)
    assert "'tap-x' of tap-x not found" in text
    assert str(root / ".elt/plugins/tap/tap-x/venv/bin") in text
    assert "`elt install tap-x`" in text


def test_a_non_executable_path_is_a_plugin_error(tmp_path: Path) -> None:
    root = write(tmp_path / "p", SIMPLE + "      executable: ./tap.py\n")
    (root / "tap.py").write_text("")
    project = load_project(root)
    with pytest.raises(PluginError, match="is not an executable file"):
        find_executable(project, project.plugin("tap-x"), "")


def test_the_config_file_holds_the_resolved_values_and_is_private(
    toy: ToyProject, tmp_path: Path
) -> None:
    toy.write(tap={"count": 3, "password": "s3cret"})
    workdir = tmp_path / "work"
    workdir.mkdir(mode=0o700)
    project = load_project(toy.root, environ={"TOY_TAP_COUNT": "5"})
    invocation = prepare(project, project.plugin(TAP), environment=None, workdir=workdir)
    assert json.loads(invocation.config_file.read_text()) == {"count": "5", "password": "s3cret"}
    assert stat.S_IMODE(invocation.config_file.stat().st_mode) == 0o600
    assert invocation.argv("--discover") == [
        str(toy.bin / TAP),
        "--config",
        str(invocation.config_file),
        "--discover",
    ]
    assert invocation.secrets == ("s3cret",)
    assert invocation.shown_config == {"password": "********", "count": "5"}
    assert invocation.cwd == toy.root


def test_every_scalar_of_a_secret_object_is_a_secret(tmp_path: Path) -> None:
    root = write(
        tmp_path / "p",
        SIMPLE
        + "      executable: elt\n"
        + "      config: {credentials: {user: me, key: [k1, 12345]}, host: db}\n",
    )
    project = load_project(root)
    invocation = prepare(project, project.plugin("tap-x"), environment=None, workdir=tmp_path)
    assert sorted(invocation.secrets) == ["12345", "k1", "me"]


def test_secrets_nested_in_an_ordinary_setting_are_secrets_and_shown_redacted(
    tmp_path: Path,
) -> None:
    root = write(
        tmp_path / "p",
        SIMPLE
        + "      executable: elt\n"
        + "      config: {auth: {type: bearer, token: t0k3n}, headers: {Authorization: B s3}}\n",
    )
    project = load_project(root)
    invocation = prepare(project, project.plugin("tap-x"), environment=None, workdir=tmp_path)
    assert sorted(invocation.secrets) == ["B s3", "t0k3n"]
    assert invocation.shown_config["auth"] == {"type": "bearer", "token": "********"}
    assert invocation.shown_config["headers"] == {"Authorization": "********"}


def test_a_missing_required_setting_is_a_config_error_before_any_file_is_written(
    tmp_path: Path,
) -> None:
    root = write(
        tmp_path / "p",
        SIMPLE + "      executable: elt\n      settings: [{name: host, required: true}]\n",
    )
    project = load_project(root)
    workdir = tmp_path / "work"
    workdir.mkdir()
    with pytest.raises(ConfigError) as raised:
        prepare(project, project.plugin("tap-x"), environment=None, workdir=workdir)
    assert str(raised.value) == (
        "tap-x: required setting not set: host. Set it with `elt config set tap-x host VALUE`"
    )
    assert list(workdir.iterdir()) == []


def test_plugins_get_elts_environment_plus_the_active_environments_env(tmp_path: Path) -> None:
    root = write(
        tmp_path / "p",
        SIMPLE + "environments:\n  - name: dev\n    env: {PGPORT: 5433, HOME: /elsewhere}\n",
    )
    project = load_project(root, environ={"HOME": "/home/me", "PATH": "/bin"})
    assert plugin_environment(project, "dev") == {
        "HOME": "/elsewhere",
        "PATH": "/bin",
        "PGPORT": "5433",
    }
    assert plugin_environment(project, None) == {"HOME": "/home/me", "PATH": "/bin"}


ABOUT_SCRIPT = """#!{python}
import json, sys
if sys.argv[1:] == ["--about", "--format", "json"]:
    print(json.dumps({{"settings": {{"properties": {{
        "port": {{"type": "integer"}},
        "dsn": {{"type": "string", "writeOnly": True}}
    }}}}}}))
"""


def test_what_the_plugin_declares_types_redacts_and_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ELT_CACHE_DIR", str(tmp_path / "cache"))
    root = write(
        tmp_path / "p",
        SIMPLE
        + "      executable: ./tap-x\n"
        + "      config: {dsn: 'postgresql://u:pw@h/db', prot: 5432}\n",
        dotenv="TAP_X_PORT=5433\n",
    )
    script = root / "tap-x"
    script.write_text(ABOUT_SCRIPT.format(python=sys.executable))
    script.chmod(0o755)
    project = load_project(root)
    invocation = prepare(project, project.plugin("tap-x"), environment=None, workdir=tmp_path)
    assert json.loads(invocation.config_file.read_text())["port"] == 5433  # typed, not "5433"
    assert invocation.shown_config["dsn"] == "********"
    assert "postgresql://u:pw@h/db" in invocation.secrets
    (warning,) = invocation.warnings
    assert "does not declare the setting prot" in warning
    assert "passed through" in warning
    assert json.loads(invocation.config_file.read_text())["prot"] == 5432


def test_a_plugin_without_about_gets_no_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ELT_CACHE_DIR", str(tmp_path / "cache"))
    root = write(
        tmp_path / "p", SIMPLE + "      executable: ./tap-x\n      config: {anything: 1}\n"
    )
    executable(root / "tap-x")
    project = load_project(root)
    invocation = prepare(project, project.plugin("tap-x"), environment=None, workdir=tmp_path)
    assert invocation.warnings == ()


def test_overrides_are_typed_and_redacted_by_what_the_plugin_declares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ELT_CACHE_DIR", str(tmp_path / "cache"))
    root = write(tmp_path / "p", SIMPLE + "      executable: ./tap-x\n      config: {port: 1}\n")
    script = root / "tap-x"
    script.write_text(ABOUT_SCRIPT.format(python=sys.executable))
    script.chmod(0o755)
    project = load_project(root)
    overrides = {"tap-x": {"port": "6000", "dsn": "postgresql://u:pw2@h/db"}, "tap-y": {"a": 1}}
    invocation = prepare(
        project, project.plugin("tap-x"), environment=None, workdir=tmp_path, overrides=overrides
    )
    config = json.loads(invocation.config_file.read_text())
    assert (config["port"], config["dsn"]) == (6000, "postgresql://u:pw2@h/db")
    assert invocation.shown_config == {"port": 6000, "dsn": "********"}
    assert "postgresql://u:pw2@h/db" in invocation.secrets
    assert shown_overrides(project, {"tap-x": overrides["tap-x"]}, environment=None) == {
        "tap-x": {"port": "6000", "dsn": "********"}
    }
