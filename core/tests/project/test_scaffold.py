from __future__ import annotations

import stat
from pathlib import Path

import pytest

from elt.errors import ProjectError
from elt.project.catalogue import entry_for
from elt.project.loader import load_project
from elt.project.scaffold import init_project
from elt.project.schema import render_schema


def test_init_writes_a_valid_empty_project(tmp_path: Path) -> None:
    created = init_project(tmp_path / "new")
    root = tmp_path / "new"
    assert created.root == root
    assert [p.relative_to(root).as_posix() for p in created.written] == [
        "plugins.yml",
        ".elt/plugins.schema.json",
        ".gitignore",
        ".env.example",
    ]
    project = load_project(root, environ={})
    assert project.plugins == ()
    assert [e.name for e in project.manifest.environments] == ["dev", "prod"]
    assert stat.S_IMODE((root / "plugins.yml").stat().st_mode) == 0o644


def test_plugins_yml_points_editors_at_the_schema_copy(tmp_path: Path) -> None:
    init_project(tmp_path)
    first = (tmp_path / "plugins.yml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=.elt/plugins.schema.json"
    assert (tmp_path / ".elt" / "plugins.schema.json").read_text() == render_schema()


def test_gitignore_covers_local_state_secrets_and_output(tmp_path: Path) -> None:
    init_project(tmp_path)
    assert (tmp_path / ".gitignore").read_text() == ".elt/\n.env\noutput/\n"


def test_an_existing_gitignore_gets_only_the_missing_lines(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.pyc\n.env")
    init_project(tmp_path)
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\n.env\n.elt/\noutput/\n"


def test_init_refuses_to_overwrite_plugins_yml(tmp_path: Path) -> None:
    (tmp_path / "plugins.yml").write_text("version: 1\n# mine\n")
    with pytest.raises(ProjectError) as raised:
        init_project(tmp_path)
    assert str(raised.value) == (
        f"plugins.yml already exists in {tmp_path}. "
        "Pass --force to replace it with a new, empty project file"
    )
    assert (tmp_path / "plugins.yml").read_text() == "version: 1\n# mine\n"


def test_init_with_force_replaces_plugins_yml_but_keeps_env_example(tmp_path: Path) -> None:
    (tmp_path / "plugins.yml").write_text("version: 1\n# mine\n")
    (tmp_path / ".env.example").write_text("MINE=1\n")
    created = init_project(tmp_path, force=True)
    assert "# mine" not in (tmp_path / "plugins.yml").read_text()
    assert (tmp_path / ".env.example").read_text() == "MINE=1\n"
    assert tmp_path / ".env.example" not in created.written


def test_the_commented_example_is_a_valid_project_that_installs(tmp_path: Path) -> None:
    init_project(tmp_path)
    text = (tmp_path / "plugins.yml").read_text()
    example = text[text.index("# plugins:") : text.index("\nversion: 1")]
    (tmp_path / "plugins.yml").write_text(
        "version: 1\n" + "\n".join(line.removeprefix("# ") for line in example.splitlines())
    )
    project = load_project(tmp_path, environ={"PGPASSWORD": "pw"})
    # elt's own plugins need no pip_url; any other pins a release the install tests
    # (tests/test_third_party.py) install from PyPI
    pinned = {p.name: p.spec.pip_url for p in project.plugins if p.spec.pip_url}
    assert pinned == {"target-jsonl": "target-jsonl==0.1.4"}
    third_party = (Path(__file__).parents[3] / "tests" / "test_third_party.py").read_text()
    assert "pip_url: target-jsonl==0.1.4" in third_party


def test_the_commented_example_is_a_project_of_catalogue_plugins(tmp_path: Path) -> None:
    init_project(tmp_path)
    lines = (tmp_path / "plugins.yml").read_text().splitlines()
    start = lines.index("# plugins:")
    example = [line.removeprefix("# ") for line in lines[start:] if line.startswith("# ")]
    (tmp_path / "plugins.yml").write_text("version: 1\n" + "\n".join(example) + "\n")
    project = load_project(tmp_path, environ={"PGPASSWORD": "x"})
    assert [p.name for p in project.plugins] == ["tap-csv", "target-postgres", "target-jsonl"]
    assert all(entry_for(plugin) is not None for plugin in project.plugins)
    assert project.manifest.find_links == ["wheels"]
