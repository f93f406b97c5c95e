from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from core.tests.cli.conftest import Elt
from core.tests.plugins import TAP, ToyProject
from elt.project import load_project


def select(elt: Elt, toy: ToyProject, *args: str):  # type: ignore[no-untyped-def]
    return elt("--project", str(toy.root), "select", *args)


def test_rules_are_added_once_and_removed(elt: Elt, toy: ToyProject) -> None:
    toy.write()
    assert select(elt, toy, TAP, "others.id").stdout.splitlines() == ["others.id"]
    select(elt, toy, TAP, "others.id", "--remove")
    assert select(elt, toy, TAP, "items").stdout.splitlines() == ["items.*"]
    assert select(elt, toy, TAP, "items", "note", "--exclude").stdout.splitlines() == [
        "items.*",
        "!items.note",
    ]
    again = select(elt, toy, TAP, "items")
    assert "already present" in again.stderr
    assert load_project(toy.root).plugin(TAP).select == ("items.*", "!items.note")
    select(elt, toy, TAP, "items", "--remove")
    assert load_project(toy.root).plugin(TAP).select == ("!items.note",)


def test_a_malformed_rule_is_refused_and_plugins_yml_unchanged(elt: Elt, toy: ToyProject) -> None:
    toy.write()
    before = (toy.root / "plugins.yml").read_text()
    result = elt("--project", str(toy.root), "select", TAP, "items.")
    assert result.exit_code == 78
    assert "malformed" in result.stderr
    assert (toy.root / "plugins.yml").read_text() == before


def test_list_shows_each_property_from_a_real_discovery(elt: Elt, toy: ToyProject) -> None:
    toy.write(select=["items.*", "!items.note"])
    result = select(elt, toy, TAP, "--list", "--all")
    assert result.exit_code == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[1:]]
    assert rows == [
        ["items", "selected"],
        ["items.id", "automatic"],
        ["items.name", "selected"],
        ["items.note", "excluded"],
        ["others", "not", "selected"],
        ["others.id", "not", "selected"],
    ]
    assert "from the discovery" in result.stderr


def test_list_reads_the_cache_until_the_config_changes_or_refresh(
    elt: Elt, toy: ToyProject
) -> None:
    toy.write(select=["others"])
    first = select(elt, toy, TAP, "--list", "--format", "json")
    assert json.loads(first.stdout)["from_cache"] is False
    second = json.loads(select(elt, toy, TAP, "--list", "--format", "json").stdout)
    assert second["from_cache"] is True
    assert [(i["stream"], i["property"], i["status"]) for i in second["items"]] == [
        ("others", None, "selected"),
        ("others", "id", "selected"),
    ]
    assert (
        json.loads(select(elt, toy, TAP, "--list", "--refresh", "--format", "json").stdout)[
            "from_cache"
        ]
        is False
    )
    toy.write(tap={"count": 3}, select=["others"])  # another config: another key
    assert (
        json.loads(select(elt, toy, TAP, "--list", "--format", "json").stdout)["from_cache"]
        is False
    )
    cached = list((toy.root / ".elt" / "cache" / "catalogs" / TAP).glob("*.json"))
    assert len(cached) == 1
    assert oct(cached[0].stat().st_mode & 0o777) == "0o600"


def test_a_run_that_discovers_fills_the_cache(elt: Elt, toy: ToyProject) -> None:
    toy.write(select=["items"])
    assert elt("--project", str(toy.root), "run", TAP, "toy-target").exit_code == 0
    listed = json.loads(select(elt, toy, TAP, "--list", "--format", "json").stdout)
    assert listed["from_cache"] is True


def test_selecting_on_a_target_is_a_usage_error(elt: Elt, toy: ToyProject) -> None:
    toy.write()
    result = elt("--project", str(toy.root), "select", "toy-target", "items")
    assert result.exit_code == 2
    assert "only taps" in result.stderr


def test_with_no_rules_the_listing_is_what_tap_csv_extracts(elt: Elt, tmp_path: Path) -> None:
    root = tmp_path / "p"
    assert elt("init", str(root)).exit_code == 0
    p = ("--project", str(root))
    assert elt(*p, "add", "tap", "tap-csv").exit_code == 0
    (root / "people.csv").write_text("id,name,email\n1,Ada,ada@example.com\n")
    files = '[{"entity": "people", "path": "people.csv", "keys": ["id"]}]'
    assert elt(*p, "config", "set", "tap-csv", "files", files).exit_code == 0
    listed = elt(*p, "select", "tap-csv", "--list", "--all", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    chosen = {
        item["property"]
        for item in json.loads(listed.stdout)["items"]
        if item["property"] and item["status"] in ("selected", "automatic")
    }
    invoked = subprocess.run(
        [Path(sys.executable).parent / "elt", *p, "invoke", "tap-csv"],
        capture_output=True,
        text=True,
        check=True,
    )
    records = [m for m in map(json.loads, invoked.stdout.splitlines()) if m["type"] == "RECORD"]
    assert chosen == set(records[0]["record"]) == {"id", "name", "email"}
