from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

Elt = Callable[..., Result]


def test_add_appends_the_plugin_and_keeps_comments(project: Path, elt: Elt) -> None:
    plugins = project / "plugins.yml"
    plugins.write_text(plugins.read_text().replace("version: 1", "version: 1  # keep me"))
    result = elt(
        "--project",
        str(project),
        "add",
        "mapper",
        "map-x",
        "--pip-url",
        "git+https://x/y.git",
        "--executable",
        "mapx",
    )
    assert (result.exit_code, result.stdout) == (
        0,
        f"added mapper map-x to {plugins} (plugins.mappers[0])\n",
    )
    text = plugins.read_text()
    assert "version: 1  # keep me\n" in text
    assert "# yaml-language-server: $schema=.elt/plugins.schema.json\n" in text
    assert "  mappers:\n    - name: map-x\n      pip_url: git+https://x/y.git\n" in text


def test_add_with_inherit_from_names_the_parent(project: Path, elt: Elt) -> None:
    result = elt("--project", str(project), "add", "tap", "tap-eu", "--inherit-from", "tap-csv")
    assert result.exit_code == 0
    assert (
        "    - name: tap-eu\n      inherit_from: tap-csv\n" in (project / "plugins.yml").read_text()
    )


def test_add_a_duplicate_name_is_a_clear_error(project: Path, elt: Elt) -> None:
    result = elt("--project", str(project), "add", "target", "tap-csv")
    assert result.exit_code == 78
    assert result.stderr.startswith("error: plugins.yml:")
    assert 'a tap named "tap-csv" already exists (plugins.taps[0])' in result.stderr
    assert "Traceback" not in result.stderr


def test_add_an_unknown_kind_lists_the_valid_kinds(project: Path, elt: Elt) -> None:
    result = elt("--project", str(project), "add", "extractor", "tap-x")
    assert result.exit_code == 2
    assert "(not shown) is not one of 'tap', 'target', 'mapper'" in result.stderr  # no echo


def test_add_an_unknown_parent_suggests_one(project: Path, elt: Elt) -> None:
    result = elt("--project", str(project), "add", "tap", "tap-x", "--inherit-from", "tap-cvs")
    assert (result.exit_code, result.stderr) == (
        78,
        'error: plugins.yml: cannot inherit from unknown tap "tap-cvs". '
        'Did you mean "tap-csv"? Known taps: tap-csv.\n',
    )


def test_add_an_invalid_name_is_a_usage_error(project: Path, elt: Elt) -> None:
    result = elt("--project", str(project), "add", "tap", "../evil")
    assert result.exit_code == 2
    assert result.stderr.startswith('error: invalid plugin name "../evil"')
