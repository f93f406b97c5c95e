from __future__ import annotations

import json
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


def test_add_from_the_catalogue_needs_no_pip_url_and_says_what_it_installs(
    project: Path, elt: Elt
) -> None:
    result = elt("--project", str(project), "add", "target", "target-jsonl")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == (
        "  from elt's catalogue: installs target-jsonl==0.1.4; 3 settings "
        "(`elt config list target-jsonl --all`); capabilities: none declared"
    )
    assert (
        "    - name: target-jsonl\n      pip_url: target-jsonl==0.1.4\n"
        in (project / "plugins.yml").read_text()
    )


def test_add_an_unknown_name_without_pip_url_is_refused_with_the_catalogue(
    project: Path, elt: Elt
) -> None:
    before = (project / "plugins.yml").read_text()
    result = elt("--project", str(project), "add", "target", "target-jsnol")
    assert result.exit_code == 78
    assert result.stderr.startswith(
        'error: elt\'s catalogue has no target "target-jsnol", and no --pip-url says what to '
        'install. Did you mean "target-jsonl"? `elt add --list` shows the catalogue'
    )
    assert "Traceback" not in result.stderr
    assert (project / "plugins.yml").read_text() == before


def test_add_list_shows_the_catalogue_of_one_kind_or_all(elt: Elt) -> None:
    mappers = elt("add", "--list", "mapper")
    assert mappers.exit_code == 0
    assert mappers.stdout.splitlines() == [
        "KIND    NAME                   INSTALLS                       DESCRIPTION",
        "mapper  meltano-map-transform  meltano-map-transform==0.12.3  Singer mapper applying "
        "stream maps between a tap and a target: rename, drop, filter, hash (singer-sdk).",
    ]
    listed = json.loads(elt("add", "--list", "--format", "json").stdout)
    assert [e["name"] for e in listed if e["own"]] == [
        "tap-csv", "tap-http", "tap-postgres", "target-azure", "target-files", "target-gcs",
        "target-postgres", "target-s3",
    ]  # fmt: skip
    assert {"name": "files", "kind": "array"}.items() <= listed[0]["settings"][0].items()


def test_add_without_kind_and_name_says_what_it_needs(elt: Elt) -> None:
    result = elt("add")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: elt add needs KIND and NAME. For example `elt add tap tap-csv`; `elt add --list` "
        "shows the names\n",
    )
