"""Changing a project: add or remove a plugin, set or unset a config value, add or remove a
select rule.

plugins.yml is a file people write by hand, so edits go through ruamel.yaml's round-trip
mode: comments, key order, quoting and indentation stay as they were and only the edited
node changes. Every edit is validated as a whole file before it is written (a change never
leaves an invalid project behind) and written atomically (:mod:`elt.project.files`).

Edits load the project without interpolation: setting one value must not require every
``${VAR}`` of every plugin to be set on this machine.

Where a value goes (:class:`ConfigStore`): ``auto`` puts secrets (see
:func:`elt.project.settings.is_secret`) in ``.env`` as ``<PLUGIN>_<SETTING>`` and everything
else in the plugin's ``config`` in plugins.yml, with secrets inside a value (an ``auth``
object's token, a URL's password) moved to ``.env`` too (:mod:`elt.project.secretvalues`);
``yml``, ``dotenv`` and ``environment`` (the active environment's block) choose explicitly.

``set_config`` checks a value against what the plugin declares — plugins.yml's ``settings``
and, when the caller could ask it, the plugin's own ``--about`` — and refuses a setting
neither declares (a typo would otherwise be passed and ignored) unless forced.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from elt.errors import ConfigError, ProjectError, UsageError
from elt.files import atomic_write
from elt.project.catalogue import CatalogueEntry, catalogue, catalogue_entry
from elt.project.envfile import set_variable, unset_variable
from elt.project.kinds import coerce_setting, parse_value, value_text
from elt.project.loader import load_project, validate_document
from elt.project.model import (
    PluginKind,
    SettingSpec,
    blocks_of,
    setting_variable,
    valid_plugin_name,
    valid_setting_name,
)
from elt.project.problems import did_you_mean, render_loc
from elt.project.project import DOTENV_FILE, PROJECT_FILE, Plugin, Project
from elt.project.secretvalues import separate_secrets
from elt.project.settings import SettingSource, is_secret, resolve_setting
from elt.project.yamlio import dump, line_of, parse, remove_item
from elt.protocol import SelectionRule

__all__ = [
    "ConfigChange",
    "ConfigRemoval",
    "ConfigStore",
    "PluginAdded",
    "PluginRemoved",
    "SelectionChange",
    "add_plugin",
    "change_selection",
    "remove_plugin",
    "set_config",
    "unset_config",
]

_T = TypeVar("_T")


class ConfigStore(StrEnum):
    """Where ``set_config`` writes a value."""

    AUTO = "auto"
    YML = "yml"
    DOTENV = "dotenv"
    ENVIRONMENT = "environment"


_SOURCE_OF = {
    ConfigStore.YML: SettingSource.PLUGINS_YML,
    ConfigStore.DOTENV: SettingSource.DOTENV,
    ConfigStore.ENVIRONMENT: SettingSource.ENVIRONMENT,
}


@dataclass(frozen=True)
class PluginAdded:
    """A plugin appended to plugins.yml, the YAML path of its entry, and the catalogue entry
    it came from (None when it names its own pip_url or parent)."""

    kind: PluginKind
    name: str
    path: str
    file: Path
    entry: CatalogueEntry | None = None


@dataclass(frozen=True)
class PluginRemoved:
    """A plugin taken out of plugins.yml: the YAML path it had, and the environments whose
    overrides for it went with it."""

    kind: PluginKind
    name: str
    path: str
    file: Path
    environments: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConfigChange:
    """A value written by ``set_config``.

    ``store`` is never AUTO; ``location`` says exactly where the value went;
    ``shadowed_by`` names a higher-precedence source that still overrides it, if any;
    ``secret_variables`` the ``.env`` variables that took secrets out of the value;
    ``checked`` whether the plugin's own declaration was at hand to check it against.
    """

    plugin: str
    setting: str
    value: object
    secret: bool
    store: ConfigStore
    location: str
    shadowed_by: str | None = None
    secret_variables: tuple[str, ...] = ()
    checked: bool = True


@dataclass(frozen=True)
class ConfigRemoval:
    """What ``unset_config`` removed (empty ``locations``: it was not set there)."""

    plugin: str
    setting: str
    locations: tuple[str, ...]
    still_set_by: str | None = None


def add_plugin(
    root: Path,
    kind: PluginKind,
    name: str,
    *,
    pip_url: str | None = None,
    executable: str | None = None,
    inherit_from: str | None = None,
) -> PluginAdded:
    """Append a plugin to plugins.yml; refuse a name in use or an unknown parent.

    Without ``pip_url`` or ``inherit_from`` the name must be in elt's catalogue
    (:mod:`elt.project.catalogue`), which then says how it installs and runs: a name it
    does not know could be anybody's package, so it is refused (ConfigError) rather than
    installed from the index by that name.
    """
    _check_name(valid_plugin_name, name)
    project = load_project(root, interpolate=False)
    text, document = _open(root)
    existing = next((p for p in project.plugins if p.name == name), None)
    if existing is not None:
        line = line_of(document, ("plugins", existing.kind.section, existing.index))
        raise ProjectError(
            f'a {existing.kind.value} named "{name}" already exists ({existing.path})',
            where=f"{PROJECT_FILE}:{line}",
            hint="Choose another name, or edit the existing entry",
        )
    if inherit_from is not None:
        parents = [p.name for p in project.plugins if p.kind is kind]
        if inherit_from not in parents:
            known = f"Known {kind.section}: {', '.join(parents)}." if parents else ""
            raise ProjectError(
                f'cannot inherit from unknown {kind.value} "{inherit_from}"',
                where=PROJECT_FILE,
                hint=" ".join(filter(None, [did_you_mean(inherit_from, parents), known]))
                or f"Add the {kind.value} first",
            )
    entry = None if pip_url or inherit_from else _catalogued(kind, name)
    if entry is not None:
        pip_url = entry.pip_url
        if executable is None and entry.executable != name:
            executable = entry.executable
    node = CommentedMap(name=name)
    for key, value in (
        ("inherit_from", inherit_from),
        ("pip_url", pip_url),
        ("executable", executable),
    ):
        if value is not None:
            node[key] = value
    entries = _child(_child(document, "plugins", CommentedMap), kind.section, CommentedSeq)
    entries.append(node)
    _save(root, text, document)
    path = render_loc(("plugins", kind.section, len(entries) - 1))
    return PluginAdded(kind, name, path, root / PROJECT_FILE, entry)


def _catalogued(kind: PluginKind, name: str) -> CatalogueEntry:
    """The catalogue's entry for ``name`` as a ``kind``; a ConfigError when there is none."""
    entry = catalogue_entry(name)
    if entry is not None and entry.kind is kind:
        return entry
    if entry is not None:
        raise ConfigError(
            f"{name} is a {entry.kind.value} in elt's catalogue, not a {kind.value}",
            hint=f"Add it with `elt add {entry.kind.value} {name}`",
        )
    known = [e.name for e in catalogue() if e.kind is kind]
    raise ConfigError(
        f'elt\'s catalogue has no {kind.value} "{name}", and no --pip-url says what to install',
        hint=" ".join(
            filter(
                None,
                [
                    did_you_mean(name, known),
                    f"`elt add --list` shows the catalogue ({', '.join(known)}); any other "
                    f"Singer {kind.value} needs --pip-url (a PyPI requirement, a local path or "
                    "a git URL)",
                ],
            )
        ),
    )


def remove_plugin(root: Path, kind: PluginKind, name: str) -> PluginRemoved:
    """Take a plugin out of plugins.yml, with its overrides in every environment.

    Refused while another plugin inherits from it or a job or schedule runs it: those would
    be left naming nothing. Comments stay where they were, except those on the entry itself
    (:func:`elt.project.yamlio.remove_item`).
    """
    project = load_project(root, interpolate=False)
    plugin = project.plugin(name)
    if plugin.kind is not kind:
        raise UsageError(
            f"{name} is a {plugin.kind.value}, not a {kind.value}",
            hint=f"elt remove {plugin.kind.value} {name}",
        )
    manifest = project.manifest
    users = [
        f"{p.kind.value} {p.name} inherits from it"
        for p in project.plugins
        if p.parent and p.parent.name == name
    ]
    users += [
        f"job {j.name} runs it" for j in manifest.jobs if any(name in blocks_of(t) for t in j.tasks)
    ]
    users += [
        f"schedule {s.name} runs it" for s in manifest.schedules if name in blocks_of(s.run or "")
    ]
    if users:
        raise UsageError(
            f"cannot remove {name}: {'; '.join(users)}",
            hint="Remove or change those first (elt remove, elt job remove, elt schedule remove)",
        )
    text = (root / PROJECT_FILE).read_text(encoding="utf-8")
    environments = []
    for at, environment in reversed(list(enumerate(manifest.environments))):
        overrides = [e.name for e in environment.plugins.of(kind)]
        if name in overrides:
            loc = ("environments", at, "plugins", kind.section, overrides.index(name))
            text = remove_item(text, loc, label=PROJECT_FILE)
            environments.append(environment.name)
    text = remove_item(text, ("plugins", kind.section, plugin.index), label=PROJECT_FILE)
    _write_validated(root, text)
    return PluginRemoved(
        kind, name, plugin.path, root / PROJECT_FILE, tuple(reversed(environments))
    )


@dataclass(frozen=True)
class SelectionChange:
    """The select rules of a tap after ``elt select``; ``changed`` is False for a no-op."""

    plugin: str
    rule: str
    removed: bool
    changed: bool
    rules: tuple[str, ...]


def change_selection(
    root: Path, plugin: str, rule: str, *, remove: bool = False
) -> SelectionChange:
    """Add ``rule`` to a tap's ``select`` list (or remove it); adding twice changes nothing.

    The rule is checked first (:class:`elt.protocol.SelectionRule`), so a malformed one never
    reaches plugins.yml.
    """
    canonical = str(SelectionRule.parse(rule))
    project = load_project(root, interpolate=False)
    target = project.plugin(plugin)
    if target.kind is not PluginKind.TAP:
        raise UsageError(f"{target.name} is a {target.kind.value}; only taps have select rules")
    text, document = _open(root)
    entry = document["plugins"][target.kind.section][target.index]
    rules = entry.get("select")
    present = [r for r in (rules or []) if str(SelectionRule.parse(r)) == canonical]
    changed = bool(present) if remove else not present
    if changed:
        if remove:
            for item in present:
                rules.remove(item)
            if not rules:
                del entry["select"]
        else:
            _child(entry, "select", CommentedSeq).append(rule.strip())
        _save(root, text, document)
    after = tuple(str(r) for r in (entry.get("select") or []))
    return SelectionChange(target.name, canonical, remove, changed, after)


def set_config(
    root: Path,
    plugin: str,
    setting: str,
    value: object,
    *,
    store: ConfigStore = ConfigStore.AUTO,
    environment: str | None = None,
    environ: Mapping[str, str] | None = None,
    parse: bool = False,
    declared: Sequence[SettingSpec] | None = None,
    force: bool = False,
) -> ConfigChange:
    """Set one setting of a plugin in the chosen store (see the module docstring).

    The value is checked against the setting's declared kind (plugins.yml's declaration,
    else the plugin's own in ``declared``) and coerced; a ``${VAR}`` reference is stored as
    written. ``declared`` is what the plugin's ``--about`` declares, None when that is not
    known; a setting that neither it nor plugins.yml declares is refused unless ``force``.
    With ``parse``, ``value`` is text as typed on a command line and is read as
    :func:`elt.project.kinds.parse_value` says. ``environment`` is the active environment
    (None: the project default), used by the environment store and to report shadowing.
    """
    _check_name(valid_setting_name, setting)
    project = load_project(root, environ=environ, interpolate=False)
    target = project.plugin(plugin)
    own = {spec.name: spec for spec in declared or ()}
    spec = target.setting(setting) or own.get(setting)
    if spec is None and declared is not None and not force:
        names = sorted({*own, *(s.name for s in target.settings)})
        raise ConfigError(
            f"{target.name} does not declare a setting {setting!r}",
            where=f"{target.name}.{setting}",
            hint=" ".join(
                filter(
                    None,
                    [
                        did_you_mean(setting, names),
                        f"`elt config list {target.name}` and `{target.name} --about` list "
                        "its settings; --force sets it anyway",
                    ],
                )
            ),
        )
    secret = is_secret(setting, spec)
    if parse:
        value = parse_value(str(value), spec.kind if spec else None)
    if spec is not None and not (isinstance(value, str) and "${" in value):
        where = f"{target.name}.{setting}"
        value = coerce_setting(spec.kind, value, where=where, secret=secret)
    separated = separate_secrets(target.name, setting, value, secret=secret)
    secret = secret or separated.whole_secret
    variables: Mapping[str, str] = {}
    if store is ConfigStore.AUTO:
        store = ConfigStore.DOTENV if secret else ConfigStore.YML
        value, variables = separated.value, separated.variables
    for variable, text in variables.items():
        _write_or_fail(
            root / DOTENV_FILE, partial(set_variable, root / DOTENV_FILE, variable, text)
        )
    if store is ConfigStore.DOTENV:
        variable = setting_variable(target.name, setting)
        _write_or_fail(
            root / DOTENV_FILE,
            lambda: set_variable(root / DOTENV_FILE, variable, value_text(value)),
        )
        location = f"{DOTENV_FILE} {variable}"
    else:
        text, document = _open(root)
        config, loc = _config_node(project, document, target, store, environment, create=True)
        config[setting] = value
        _save(root, text, document)
        location = f"{PROJECT_FILE} {render_loc((*loc, setting))}"
    shadow = _overriding(
        root,
        environ=environ,
        plugin=target.name,
        setting=setting,
        environment=environment,
        written=_SOURCE_OF[store],
    )
    return ConfigChange(
        target.name,
        setting,
        value,
        secret,
        store,
        location,
        shadow,
        secret_variables=tuple(variables),
        checked=declared is not None or target.setting(setting) is not None,
    )


def unset_config(
    root: Path,
    plugin: str,
    setting: str,
    *,
    store: ConfigStore = ConfigStore.AUTO,
    environment: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ConfigRemoval:
    """Remove a setting's value; ``auto`` removes it from plugins.yml and from ``.env``."""
    project = load_project(root, environ=environ, interpolate=False)
    target = project.plugin(plugin)
    removed: list[str] = []
    if store in (ConfigStore.AUTO, ConfigStore.YML, ConfigStore.ENVIRONMENT):
        yml_store = ConfigStore.YML if store is ConfigStore.AUTO else store
        text, document = _open(root)
        config, loc = _config_node(project, document, target, yml_store, environment, create=False)
        if config is not None and setting in config:
            del config[setting]
            if not config:  # leave no empty ``config: {}`` behind
                entry = document
                for part in loc[:-1]:
                    entry = entry[part]
                del entry["config"]
            _save(root, text, document)
            removed.append(f"{PROJECT_FILE} {render_loc((*loc, setting))}")
    if store in (ConfigStore.AUTO, ConfigStore.DOTENV):
        variable = setting_variable(target.name, setting)
        if _write_or_fail(root / DOTENV_FILE, lambda: unset_variable(root / DOTENV_FILE, variable)):
            removed.append(f"{DOTENV_FILE} {variable}")
    still = _overriding(
        root,
        environ=environ,
        plugin=target.name,
        setting=setting,
        environment=environment,
        written=SettingSource.UNSET,
    )
    return ConfigRemoval(target.name, setting, tuple(removed), still)


def _check_name(check: Callable[[str], str], name: str) -> None:
    try:
        check(name)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _open(root: Path) -> tuple[str, Any]:
    text = (root / PROJECT_FILE).read_text(encoding="utf-8")
    return text, parse(text, label=PROJECT_FILE)


def _save(root: Path, original: str, document: Any) -> None:
    """Validate the edited document as a whole, then replace plugins.yml with it."""
    _write_validated(root, dump(document, like=original))


def _write_validated(root: Path, text: str) -> None:
    """Replace plugins.yml with ``text`` if it is a valid project file as a whole."""
    validate_document(parse(text, label=PROJECT_FILE), lookup_from=None)
    _write_or_fail(root / PROJECT_FILE, lambda: atomic_write(root / PROJECT_FILE, text))


def _write_or_fail(path: Path, write: Callable[[], _T]) -> _T:
    try:
        return write()
    except OSError as error:
        raise ProjectError(f"cannot write: {error.strerror}", where=str(path)) from None


def _child(node: Any, key: str, factory: type) -> Any:
    """``node[key]``, created empty if missing; an empty flow ``[]``/``{}`` turns block."""
    if node.get(key) is None:
        node[key] = factory()
    child = node[key]
    if not child:
        child.fa.set_block_style()
    return child


def _config_node(
    project: Project,
    document: Any,
    plugin: Plugin,
    store: ConfigStore,
    environment: str | None,
    *,
    create: bool,
) -> tuple[Any, tuple[str | int, ...]]:
    """The ``config`` mapping an edit targets and its YAML path; None if absent and not created."""
    section = plugin.kind.section
    if store is not ConfigStore.ENVIRONMENT:
        loc: tuple[str | int, ...] = ("plugins", section, plugin.index, "config")
        entry = document["plugins"][section][plugin.index]
    else:
        active = project.environment(environment)
        if active is None:
            raise UsageError(
                "the environment store needs an active environment",
                hint="Pass --environment NAME, or set default_environment in plugins.yml",
            )
        at = next(i for i, e in enumerate(project.manifest.environments) if e.name == active.name)
        block = document["environments"][at]
        if not create and not block.get("plugins", {}).get(section):
            return None, ()
        entries = _child(_child(block, "plugins", CommentedMap), section, CommentedSeq)
        index = next((i for i, e in enumerate(entries) if e["name"] == plugin.name), None)
        if index is None:
            if not create:
                return None, ()
            entries.append(CommentedMap(name=plugin.name))
            index = len(entries) - 1
        loc = ("environments", at, "plugins", section, index, "config")
        entry = entries[index]
    if entry.get("config") is None:
        if not create:
            return None, loc
        entry["config"] = CommentedMap()
    return _child(entry, "config", CommentedMap), loc


def _overriding(
    root: Path,
    *,
    environ: Mapping[str, str] | None,
    plugin: str,
    setting: str,
    environment: str | None,
    written: SettingSource,
) -> str | None:
    """The label of a source above ``written`` that still decides the setting, if any."""
    project = load_project(root, environ=environ, interpolate=False)
    try:
        resolved = resolve_setting(project, plugin, setting, environment=environment)
    except ConfigError as error:  # a variable of the wrong kind still overrides
        return error.where
    order = list(SettingSource)
    if resolved.source is SettingSource.UNSET or order.index(resolved.source) >= order.index(
        written
    ):
        return None
    return resolved.label
