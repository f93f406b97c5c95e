from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

Elt = Callable[..., Result]


def test_init_creates_the_project_files_and_says_what_next(tmp_path: Path, elt: Elt) -> None:
    root = tmp_path / "new"
    result = elt("init", str(root))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"wrote {root / 'plugins.yml'}",
        f"wrote {root / '.elt' / 'plugins.schema.json'}",
        f"wrote {root / '.gitignore'}",
        f"wrote {root / '.env.example'}",
        "",
        f"Next: cd {root} && elt add --list, then elt add tap NAME",
    ]


def test_init_refuses_an_existing_project_without_force(tmp_path: Path, elt: Elt) -> None:
    (tmp_path / "plugins.yml").write_text("version: 1\n")
    result = elt("init", str(tmp_path))
    assert (result.exit_code, result.stderr) == (
        78,
        f"error: plugins.yml already exists in {tmp_path}. "
        "Pass --force to replace it with a new, empty project file\n",
    )
    assert (tmp_path / "plugins.yml").read_text() == "version: 1\n"


def test_init_force_replaces_an_existing_plugins_yml(tmp_path: Path, elt: Elt) -> None:
    (tmp_path / "plugins.yml").write_text("version: 1\n")
    assert elt("init", str(tmp_path), "--force").exit_code == 0
    assert "yaml-language-server" in (tmp_path / "plugins.yml").read_text()


def test_init_then_add_then_config_round_trips(tmp_path: Path, elt: Elt) -> None:
    root = str(tmp_path)
    assert elt("init", root).exit_code == 0
    assert (
        elt("--project", root, "add", "tap", "tap-csv", "--pip-url", "./taps/tap-csv").exit_code
        == 0
    )
    assert elt("--project", root, "config", "set", "tap-csv", "delimiter", ";").exit_code == 0
    listed = elt("--project", root, "config", "list", "tap-csv")
    assert listed.stdout == "SETTING    VALUE  SOURCE\ndelimiter  ;      plugins.yml\n"
