"""The plugin catalogue that ships with elt: what ``elt add`` knows with no network at all.

Meltano looks plugins up on its hub, online; elt carries its list inside the package
(``catalogue.json`` beside this module). It holds elt's own eight plugins and the third-party
ones elt's tests install and run (``tests/test_third_party.py``), each with its kind,
executable, how it installs, its capabilities and the settings it declares:

- elt's own plugins have no ``pip_url``: they install as elt's own distribution
  (``elt-tap-csv``) at elt's own version, from the checkout, a wheelhouse or an index
  (:mod:`elt.install.requirements`). Their capabilities and settings are what their
  ``--about`` says, written by ``make catalogue``; a test fails when the file is stale.
- third-party plugins carry the ``pip_url`` of the version the tests run; their settings are
  their ``--about`` at that version or, for singer-python plugins that have none, the
  settings their code reads.

``elt add`` writes only what installs and runs the plugin (``pip_url``, ``executable``) into
plugins.yml; the capabilities and settings stay here, where an upgrade of elt updates them,
and answer ``elt config set`` and ``elt config list --all`` before the plugin is installed
(after, its own ``--about`` does). A plugin of plugins.yml is a catalogue entry's when it has
the entry's name (itself or through ``inherit_from``) and installs what the entry installs:
a ``tap-csv`` with a ``pip_url`` of its own is another program.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from elt.project.model import PluginKind, SettingKind, SettingSpec
from elt.project.project import Plugin

__all__ = [
    "CATALOGUE_FILE",
    "CatalogueEntry",
    "catalogue",
    "catalogue_entry",
    "entry_for",
    "settings_from_schema",
]

CATALOGUE_FILE: Final = Path(__file__).with_name("catalogue.json")
FORMAT: Final = 1
_KINDS: Final = {
    "integer": SettingKind.INTEGER,
    "number": SettingKind.NUMBER,
    "boolean": SettingKind.BOOLEAN,
    "object": SettingKind.OBJECT,
    "array": SettingKind.ARRAY,
    "string": SettingKind.STRING,
}


@dataclass(frozen=True)
class CatalogueEntry:
    """One plugin elt knows: how it installs and runs, and what it declares."""

    name: str
    kind: PluginKind
    description: str
    distribution: str
    executable: str
    pip_url: str | None
    """None for elt's own plugins, which install as ``distribution`` at elt's version."""
    source: str | None
    """elt's own plugins: their directory in elt's repository (``taps/tap-csv``)."""
    capabilities: tuple[str, ...]
    settings: tuple[SettingSpec, ...]

    @property
    def own(self) -> bool:
        """Whether it is one of elt's own plugins (installed at elt's own version)."""
        return self.pip_url is None

    def setting(self, name: str) -> SettingSpec | None:
        """The declaration of a setting, if the plugin has one."""
        return next((s for s in self.settings if s.name == name), None)


@cache
def catalogue() -> tuple[CatalogueEntry, ...]:
    """Every entry, taps first, then targets and mappers, each by name."""
    document = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    if document.get("format") != FORMAT:  # a file of another elt would be misread
        raise RuntimeError(f"{CATALOGUE_FILE}: format {document.get('format')}, not {FORMAT}")
    entries = [_entry(item) for item in document["plugins"]]
    order = list(PluginKind)
    return tuple(sorted(entries, key=lambda e: (order.index(e.kind), e.name)))


def catalogue_entry(name: str) -> CatalogueEntry | None:
    """The entry called ``name``; a third-party plugin is also found by its distribution's
    name (``meltanolabs-target-csv`` is the catalogue's ``target-csv``)."""
    entries = catalogue()
    found = next((e for e in entries if e.name == name), None)
    return found or next((e for e in entries if not e.own and e.distribution == name), None)


def entry_for(plugin: Plugin) -> CatalogueEntry | None:
    """The entry ``plugin`` installs, if any (see the module docstring)."""
    chain = (plugin, *plugin.ancestors)
    pip_url = next((p.spec.pip_url for p in chain if p.spec.pip_url is not None), None)
    for candidate in chain:
        entry = catalogue_entry(candidate.name)
        if entry is not None and entry.kind is plugin.kind:
            return entry if pip_url == entry.pip_url else None
    return None


def settings_from_schema(schema: object) -> tuple[SettingSpec, ...] | None:
    """The settings a plugin's ``--about`` JSON Schema declares (None when it has none):
    kind, default, secret (``secret``/``writeOnly``), description, and required."""
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(properties, Mapping):
        return None
    assert isinstance(schema, Mapping)
    required = schema.get("required")
    needed = set(required) if isinstance(required, list) else set()
    specs = []
    for name, spec in properties.items():
        if not isinstance(spec, Mapping):
            continue
        try:
            specs.append(
                SettingSpec(
                    name=name,
                    kind=_kind(spec.get("type")),
                    secret=True if spec.get("secret") or spec.get("writeOnly") else None,
                    default=spec.get("default"),
                    description=spec.get("description"),
                    required=name in needed,
                )
            )
        except ValueError:  # a name elt cannot use as a setting (not a valid identifier)
            continue
    return tuple(specs)


def _kind(json_type: Any) -> SettingKind:
    types = [json_type] if isinstance(json_type, str) else list(json_type or [])
    named = [t for t in types if t != "null"]
    return _KINDS.get(named[0], SettingKind.STRING) if len(named) == 1 else SettingKind.STRING


def _entry(item: Mapping[str, Any]) -> CatalogueEntry:
    return CatalogueEntry(
        name=item["name"],
        kind=PluginKind(item["kind"]),
        description=item["description"],
        distribution=item["distribution"],
        executable=item.get("executable", item["name"]),
        pip_url=item.get("pip_url"),
        source=item.get("source"),
        capabilities=tuple(item.get("capabilities", ())),
        settings=tuple(SettingSpec(**setting) for setting in item.get("settings", ())),
    )
