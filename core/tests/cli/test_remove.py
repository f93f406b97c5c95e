"""``elt remove``: the entry, its venv, and (only when asked) its bookmarks go."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from core.tests.install.packages import make_package

Elt = Callable[..., Result]


def a_project(root: Path, elt: Elt) -> tuple[str, ...]:
    """A tap installed from a tiny local package into its own venv, a target, and a state."""
    assert elt("init", str(root)).exit_code == 0
    make_package(root / "pkgs" / "tap-a", "tap-a")
    p = ("--project", str(root))
    assert elt(*p, "add", "tap", "tap-a", "--pip-url", "./pkgs/tap-a").exit_code == 0
    assert elt(*p, "add", "target", "target-jsonl").exit_code == 0
    assert elt(*p, "install", "tap-a").exit_code == 0
    state = json.dumps({"bookmarks": {"s": {"n": 1}}})
    assert elt(*p, "state", "set", "dev:tap-a-to-target-jsonl", state).exit_code == 0
    assert elt(*p, "state", "set", "prod:tap-a-to-target-jsonl", state).exit_code == 0
    return p


def test_remove_takes_the_entry_and_the_venv_and_keeps_the_state_and_comments(
    tmp_path: Path, elt: Elt
) -> None:
    root = tmp_path / "project"
    p = a_project(root, elt)
    venv_home = root / ".elt" / "plugins" / "tap" / "tap-a"
    assert (venv_home / "venv" / "bin" / "tap-a").exists()
    before = (root / "plugins.yml").read_text()

    result = elt(*p, "remove", "tap", "tap-a")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"removed tap tap-a from {root / 'plugins.yml'} (plugins.taps[0])",
        f"removed its virtualenv {venv_home}",
    ]
    assert not venv_home.exists()
    after = (root / "plugins.yml").read_text()
    assert after == before.replace(
        "  taps:\n    - name: tap-a\n      pip_url: ./pkgs/tap-a\n", "  taps: []\n"
    )
    assert [line for line in before.splitlines() if line.startswith("#")] == [
        line for line in after.splitlines() if line.startswith("#")
    ]
    assert elt(*p, "state", "list").stdout.splitlines() == [
        "dev:tap-a-to-target-jsonl",
        "prod:tap-a-to-target-jsonl",
    ]


def test_remove_with_state_clears_the_bookmarks_of_its_pipelines(tmp_path: Path, elt: Elt) -> None:
    root = tmp_path / "project"
    p = a_project(root, elt)
    other = json.dumps({"bookmarks": {}})
    assert elt(*p, "state", "set", "dev:tap-ab-to-target-jsonl", other).exit_code == 0

    result = elt(*p, "remove", "target", "target-jsonl", "--state")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"removed target target-jsonl from {root / 'plugins.yml'} (plugins.targets[0])",
        "cleared state for dev:tap-a-to-target-jsonl",
        "cleared state for prod:tap-a-to-target-jsonl",
    ]
    # not a pipeline of a plugin of this project: someone else's bookmark stays
    assert elt(*p, "state", "list").stdout.splitlines() == ["dev:tap-ab-to-target-jsonl"]


def test_remove_of_a_plugin_something_needs_changes_nothing(tmp_path: Path, elt: Elt) -> None:
    root = tmp_path / "project"
    p = a_project(root, elt)
    assert elt(*p, "job", "add", "nightly", "tap-a target-jsonl").exit_code == 0
    before = (root / "plugins.yml").read_text()
    result = elt(*p, "remove", "tap", "tap-a", "--state")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: cannot remove tap-a: job nightly runs it. Remove or change those first "
        "(elt remove, elt job remove, elt schedule remove)\n",
    )
    assert (root / "plugins.yml").read_text() == before
    assert (root / ".elt" / "plugins" / "tap" / "tap-a" / "venv").is_dir()
    assert len(elt(*p, "state", "list").stdout.splitlines()) == 2
