"""The plugin catalogue that ships with elt (core/src/elt/project/catalogue.json)."""

from __future__ import annotations

import re
from pathlib import Path

from elt.project import PluginKind, load_project
from elt.project.catalogue import (
    CATALOGUE_FILE,
    catalogue,
    catalogue_entry,
    entry_for,
    settings_from_schema,
)
from elt.project.model import SettingKind
from tests import catalogue as generator

REPO = Path(__file__).resolve().parents[3]
OURS = {
    "tap-csv", "tap-http", "tap-postgres", "target-postgres", "target-files", "target-s3",
    "target-gcs", "target-azure",
}  # fmt: skip


def test_elts_own_entries_are_what_the_plugins_declare_in_their_about() -> None:
    assert CATALOGUE_FILE.read_text(encoding="utf-8") == generator.current(), (
        "the catalogue is stale: `make catalogue` rewrites elt's own plugins from their --about"
    )


def test_it_holds_our_eight_plugins_at_our_version_and_the_third_party_ones_we_test() -> None:
    entries = {e.name: e for e in catalogue()}
    assert {n for n, e in entries.items() if e.own} == OURS
    assert all(entries[n].distribution == f"elt-{n}" for n in OURS)
    assert all(entries[n].source == f"{n.split('-')[0]}s/{n}" for n in OURS)
    tested = (REPO / "tests" / "test_third_party.py").read_text()
    third_party = {n: e for n, e in entries.items() if not e.own}
    assert sorted(third_party) == [
        "meltano-map-transform", "pipelinewise-target-postgres", "tap-jsonl", "target-csv",
        "target-jsonl",
    ]  # fmt: skip
    for entry in third_party.values():
        assert re.fullmatch(r"[a-z-]+==[0-9.]+", entry.pip_url or ""), entry.pip_url
        assert f"pip_url: {entry.pip_url}" in tested, f"{entry.pip_url} is not what the tests run"


def test_entries_come_taps_first_and_declare_their_settings() -> None:
    kinds = [e.kind for e in catalogue()]
    assert kinds == sorted(kinds, key=list(PluginKind).index)
    csv = catalogue_entry("tap-csv")
    assert csv is not None
    files = csv.setting("files")
    assert files is not None
    assert files.kind is SettingKind.ARRAY
    url = catalogue_entry("target-postgres")
    assert url is not None
    assert url.setting("sqlalchemy_url") is not None
    assert url.setting("sqlalchemy_url").secret  # type: ignore[union-attr]


def test_a_third_party_plugin_is_also_found_by_its_distribution_name() -> None:
    found = catalogue_entry("meltanolabs-target-csv")
    assert found is not None
    assert (found.name, found.executable) == ("target-csv", "target-csv")
    assert catalogue_entry("elt-tap-csv") is None
    assert catalogue_entry("tap-nowhere") is None


def test_a_project_plugin_is_the_entrys_only_when_it_installs_what_the_entry_does(
    tmp_path: Path,
) -> None:
    (tmp_path / "plugins.yml").write_text(
        "version: 1\nplugins:\n"
        "  taps:\n"
        "    - {name: tap-csv}\n"
        "    - {name: tap-csv-sales, inherit_from: tap-csv}\n"
        "    - {name: tap-postgres, pip_url: meltanolabs-tap-postgres}\n"
        "  targets:\n"
        "    - {name: target-jsonl, pip_url: target-jsonl==0.1.4}\n"
        "    - {name: target-csv, pip_url: meltanolabs-target-csv==0.4.0}\n"
        "    - {name: tap-http}\n"
    )
    project = load_project(tmp_path, environ={})
    found = {p.name: getattr(entry_for(p), "name", None) for p in project.plugins}
    assert found == {
        "tap-csv": "tap-csv",
        "tap-csv-sales": "tap-csv",
        "tap-postgres": None,  # somebody else's program under our name
        "target-jsonl": "target-jsonl",
        "target-csv": None,  # another version than the catalogue's
        "tap-http": None,  # a target called like our tap
    }


def test_settings_are_read_from_a_json_schema_with_kind_default_secret_and_required() -> None:
    schema = {
        "type": "object",
        "properties": {
            "port": {"type": ["integer", "null"], "default": 5432, "description": "Port."},
            "password": {"type": "string", "secret": True},
            "token": {"type": "string", "writeOnly": True},
            "mode": {"type": ["string", "integer"]},
            "not a name!": {"type": "string"},
        },
        "required": ["password"],
    }
    found = {s.name: s for s in settings_from_schema(schema) or ()}
    assert sorted(found) == ["mode", "password", "port", "token"]
    assert (found["port"].kind, found["port"].default, found["port"].description) == (
        SettingKind.INTEGER,
        5432,
        "Port.",
    )
    assert (found["password"].secret, found["password"].required) == (True, True)
    assert found["token"].secret
    assert found["mode"].kind is SettingKind.STRING
    assert settings_from_schema(None) is None
