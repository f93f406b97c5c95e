"""A loaded project: plugins with inheritance applied, environments, and the .env values.

:class:`Manifest` is the file as written; :class:`Project` is what the rest of elt asks
questions of ("which executable runs tap-csv-sales?", "what is the dev config of
target-postgres?"), so inheritance is resolved here once rather than by every caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elt.errors import ProjectError
from elt.project.model import (
    EnvironmentSpec,
    Manifest,
    PluginKind,
    PluginSpec,
    SettingSpec,
    env_prefix,
)
from elt.project.problems import did_you_mean, render_loc
from elt.protocol.state import deep_merge

__all__ = ["DOTENV_FILE", "PROJECT_FILE", "Plugin", "Project", "deep_merge"]

PROJECT_FILE = "plugins.yml"
DOTENV_FILE = ".env"


# Config layers merge as states do: mappings key by key, recursively; any other value
# (a list too: an environment that lists ``files`` means those files) replaces the base.


@dataclass(frozen=True)
class Plugin:
    """A plugin as it runs: its own spec with everything inherited filled in."""

    kind: PluginKind
    index: int
    spec: PluginSpec
    parent: Plugin | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def path(self) -> str:
        """Where it is declared, as a YAML path: ``plugins.taps[0]``."""
        return render_loc(("plugins", self.kind.section, self.index))

    @property
    def env_prefix(self) -> str:
        """Prefix of the variables that override its settings: ``TAP_CSV``."""
        return env_prefix(self.name)

    @property
    def pip_url(self) -> str:
        """What to install; a plugin that says nothing is the PyPI package of its name."""
        if self.spec.pip_url is not None:
            return self.spec.pip_url
        return self.parent.pip_url if self.parent else self.name

    @property
    def executable(self) -> str:
        if self.spec.executable is not None:
            return self.spec.executable
        return self.parent.executable if self.parent else self.name

    @property
    def config(self) -> dict[str, Any]:
        """Config from plugins.yml, own values deep-merged over the inherited ones."""
        base = self.parent.config if self.parent else {}
        return deep_merge(base, self.spec.config)

    @property
    def select(self) -> tuple[str, ...]:
        if self.spec.select is not None:
            return tuple(self.spec.select)
        return self.parent.select if self.parent else ()

    @property
    def metadata(self) -> dict[str, Any]:
        base = self.parent.metadata if self.parent else {}
        return deep_merge(base, self.spec.metadata)

    @property
    def settings(self) -> tuple[SettingSpec, ...]:
        """Declared settings; a child's declaration of a name replaces the parent's."""
        merged = {s.name: s for s in (self.parent.settings if self.parent else ())}
        merged.update({s.name: s for s in self.spec.settings})
        return tuple(merged.values())

    @property
    def ancestors(self) -> tuple[Plugin, ...]:
        """Parent first, then its parent, and so on."""
        return (self.parent, *self.parent.ancestors) if self.parent else ()

    def setting(self, name: str) -> SettingSpec | None:
        """The declaration of a setting, if there is one."""
        return next((s for s in self.settings if s.name == name), None)


@dataclass(frozen=True)
class Project:
    """A validated project rooted at the directory that holds plugins.yml."""

    root: Path
    manifest: Manifest
    dotenv: Mapping[str, str] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=dict)
    #: variables plugins.yml refers to as ``${VAR}`` (so they are not meant as settings)
    referenced_variables: frozenset[str] = frozenset()
    plugins: tuple[Plugin, ...] = field(init=False)

    def __post_init__(self) -> None:
        built: dict[str, Plugin] = {}

        def build(kind: PluginKind, index: int, spec: PluginSpec) -> Plugin:
            if spec.name not in built:
                parent = None
                if spec.inherit_from is not None:
                    specs = self.manifest.plugins.of(kind)
                    at = next(i for i, s in enumerate(specs) if s.name == spec.inherit_from)
                    parent = build(kind, at, specs[at])
                built[spec.name] = Plugin(kind, index, spec, parent)
            return built[spec.name]

        plugins = [
            build(kind, index, spec)
            for kind in PluginKind
            for index, spec in enumerate(self.manifest.plugins.of(kind))
        ]
        object.__setattr__(self, "plugins", tuple(plugins))

    @property
    def file(self) -> Path:
        return self.root / PROJECT_FILE

    @property
    def dotenv_file(self) -> Path:
        return self.root / DOTENV_FILE

    def plugin(self, name: str) -> Plugin:
        """The plugin called ``name``; a ProjectError that lists the known ones otherwise."""
        for plugin in self.plugins:
            if plugin.name == name:
                return plugin
        names = [p.name for p in self.plugins]
        hint = _choices_hint(name, names) or "Add one with `elt add tap NAME`"
        raise ProjectError(f'unknown plugin "{name}"', where=PROJECT_FILE, hint=hint)

    def environment(self, name: str | None = None) -> EnvironmentSpec | None:
        """The active environment: ``name`` if given, else ``default_environment``, else none."""
        wanted = name if name is not None else self.manifest.default_environment
        if wanted is None:
            return None
        for environment in self.manifest.environments:
            if environment.name == wanted:
                return environment
        names = [e.name for e in self.manifest.environments]
        hint = _choices_hint(wanted, names) or "Declare it under environments:"
        raise ProjectError(f'unknown environment "{wanted}"', where=PROJECT_FILE, hint=hint)

    def environment_config(
        self, environment: EnvironmentSpec | None, plugin: Plugin
    ) -> dict[str, Any]:
        """The config an environment sets for one plugin (empty when it sets none)."""
        if environment is None:
            return {}
        for entry in environment.plugins.of(plugin.kind):
            if entry.name == plugin.name:
                return dict(entry.config)
        return {}


def _choices_hint(word: str, names: list[str]) -> str:
    """``Did you mean "x"? Known: a, b`` -- or empty when there is nothing to choose from."""
    if not names:
        return ""
    return " ".join(filter(None, [did_you_mean(word, names), f"Known: {', '.join(names)}."]))
