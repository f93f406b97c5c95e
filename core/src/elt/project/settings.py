"""Where each setting of a plugin gets its value, and keeping secrets out of sight.

A setting's value comes from the first of these sources that sets it (highest first):

0. ``override``     ``--config PLUGIN.SETTING=VALUE`` of one run (:mod:`elt.project.overrides`);
1. ``env``          the variable ``<PLUGIN>_<SETTING>`` in the process environment
                    (``TAP_CSV_PORT``; see :func:`elt.project.model.setting_variable`);
2. ``dotenv``       the same variable in the project's ``.env``;
3. ``environment``  the active environment's config for the plugin in plugins.yml;
4. ``plugins.yml``  the plugin's own ``config``;
5. ``inherited``    the config of its ``inherit_from`` parent (and grandparents);
6. ``default``      the ``default`` of the declared setting.

Mappings from layers 3 to 6 are deep-merged; the source reported is the highest layer that
contributed. An override or a variable replaces the whole value and is coerced to the
declared kind (plugins.yml's, else the plugin's own), so ``TAP_CSV_PORT=5433`` is the
integer 5433. An empty variable or a YAML ``null`` sets nothing.
The settings listed are the declared ones, the keys of every config layer, and any other
``<PLUGIN>_*`` variable in ``.env`` (so a secret that ``elt config set`` put there shows up)
or in the process environment, named by the lower-cased rest of the variable name — except
a variable that plugins.yml refers to as ``${VAR}`` (its evident purpose; ``elt config set``
stores secrets found inside a value that way). A process environment variable is ambient,
not written for elt: when the plugin declares its settings (``--about``) and none is called
so, the variable is not a setting — it is listed in :attr:`PluginConfig.ignored_variables`,
so a typo is still reported, and it never reaches the plugin.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote

from elt.errors import ConfigError
from elt.project.kinds import coerce, coerce_setting
from elt.project.model import SettingKind, SettingSpec, setting_variable
from elt.project.project import DOTENV_FILE, Plugin, Project, deep_merge
from elt.protocol import REDACTED, is_secret_name

__all__ = [
    "NO_OVERRIDES",
    "REDACTED",
    "Overrides",
    "PluginConfig",
    "ResolvedSetting",
    "SettingSource",
    "basic_credentials",
    "is_secret",
    "redact",
    "resolve_config",
    "resolve_setting",
    "secret_texts",
    "url_password",
]

# scheme://user:password@host — the password is what lies between the first ":" of the
# authority and its last "@"
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/:@\s]*:(?P<password>[^/\s]*)@")

# names of the user beside a secret (HTTP Basic, OAuth2 client credentials)
_USER_NAMES = frozenset({"username", "user", "user_name", "login", "client_id"})

Overrides = Mapping[str, Mapping[str, object]]
"""A run's config overrides: plugin name -> setting name -> value."""
NO_OVERRIDES: Overrides = MappingProxyType({})


class SettingSource(StrEnum):
    """Where a value came from; members are ordered from highest precedence to lowest."""

    OVERRIDE = "override"
    ENV = "env"
    DOTENV = "dotenv"
    ENVIRONMENT = "environment"
    PLUGINS_YML = "plugins.yml"
    INHERITED = "inherited"
    DEFAULT = "default"
    UNSET = "unset"


def is_secret(name: str, setting: SettingSpec | None = None) -> bool:
    """Whether a value must be redacted: declared so, of kind password, or named like one.

    The name rule is the one plugins use for their query parameters and headers too
    (:func:`elt.protocol.is_secret_name`: broad, but not ``token_url`` or
    ``key_properties``); an explicit ``secret: false`` wins over it.
    """
    if setting is not None:
        if setting.secret is not None:
            return setting.secret
        if setting.kind is SettingKind.PASSWORD:
            return True
    return is_secret_name(name)


def url_password(value: object) -> str | None:
    """The password of a URL with one (``postgresql://u:PASSWORD@h/db``), as written."""
    if not isinstance(value, str) or "://" not in value or "@" not in value:
        return None
    match = _URL_PASSWORD.match(value)
    return match.group("password") if match else None


def redact(value: object, *, secret: bool, reveal: bool = False) -> object:
    """``********`` in place of a secret value (None stays None, so "unset" shows).

    Inside a value that is not secret as a whole (an ``auth`` object, a ``headers`` map),
    each entry whose key looks secret (:func:`is_secret`) is redacted on its own, and so is
    the password of a URL (``postgresql://u:********@h/db``).
    """
    if reveal or value is None:
        return value
    if secret:
        return REDACTED
    if (password := url_password(value)) is not None:
        assert isinstance(value, str)
        return value.replace(f":{password}@", f":{REDACTED}@", 1)
    if isinstance(value, Mapping):
        return {
            key: redact(item, secret=is_secret(str(key)), reveal=False)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item, secret=False) for item in value]
    return value


def secret_texts(value: object, *, secret: bool) -> Iterator[str]:
    """Every scalar that :func:`redact` would hide in ``value``, as text (for log scrubbing)."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from secret_texts(item, secret=secret or is_secret(str(key)))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from secret_texts(item, secret=secret)
    elif secret and (text := str(value)):
        yield text
    elif (password := url_password(value)) is not None:
        yield password


def basic_credentials(value: object) -> Iterator[str]:
    """What an HTTP client sends for each user and secret that sit side by side in ``value``
    (an ``auth: {username, password}`` object, ``client_id`` and ``client_secret``, a URL's
    ``user:password``): the base64 of ``user:secret`` of a Basic ``Authorization`` header,
    which a server may echo back, for the run log to hide too."""
    if isinstance(value, Mapping):
        users = [v for k, v in value.items() if str(k).lower() in _USER_NAMES and _text(v)]
        secrets = [v for k, v in value.items() if is_secret_name(str(k)) and _text(v)]
        for user in users:
            for secret in secrets:
                yield _basic(str(user), str(secret))
        for item in value.values():
            yield from basic_credentials(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from basic_credentials(item)
    elif (password := url_password(value)) is not None:
        assert isinstance(value, str)
        user = value.partition("://")[2].partition(":")[0]
        yield _basic(unquote(user), unquote(password))


def _text(value: object) -> bool:
    """A value that goes into a header as it is: a non-empty string or a number."""
    return isinstance(value, str | int | float) and not isinstance(value, bool) and value != ""


def _basic(user: str, secret: str) -> str:
    """The credentials of a Basic header, without the padding a server may drop."""
    return base64.b64encode(f"{user}:{secret}".encode()).decode().rstrip("=")


@dataclass(frozen=True)
class ResolvedSetting:
    """A setting's effective value and where it came from."""

    name: str
    value: object
    source: SettingSource
    secret: bool
    origin: str = ""

    @property
    def label(self) -> str:
        """The source as a person reads it: ``env TAP_CSV_PORT``, ``environment dev``."""
        return {
            SettingSource.OVERRIDE: "--config",
            SettingSource.ENV: f"env {self.origin}",
            SettingSource.DOTENV: f"{DOTENV_FILE} {self.origin}",
            SettingSource.ENVIRONMENT: f"environment {self.origin}",
            SettingSource.PLUGINS_YML: "plugins.yml",
            SettingSource.INHERITED: f"inherited from {self.origin}",
            SettingSource.DEFAULT: "default",
            SettingSource.UNSET: "unset",
        }[self.source]

    def shown(self, *, reveal: bool = False) -> object:
        """The value to display: redacted if secret, unless ``reveal``."""
        return redact(self.value, secret=self.secret, reveal=reveal)


@dataclass(frozen=True)
class PluginConfig:
    """Every setting of one plugin under one environment."""

    plugin: str
    environment: str | None
    settings: tuple[ResolvedSetting, ...]
    #: ``<PLUGIN>_*`` process variables naming no setting the plugin declares (not passed)
    ignored_variables: tuple[str, ...] = ()

    def values(self) -> dict[str, object]:
        """The config the plugin receives: every setting that has a value."""
        return {s.name: s.value for s in self.settings if s.source is not SettingSource.UNSET}

    def missing(self, plugin: Plugin) -> tuple[str, ...]:
        """Declared ``required`` settings that have no value."""
        unset = {s.name for s in self.settings if s.source is SettingSource.UNSET}
        return tuple(s.name for s in plugin.settings if s.required and s.name in unset)


def resolve_config(
    project: Project,
    plugin: str | Plugin,
    *,
    environment: str | None = None,
    declared: Iterable[SettingSpec] = (),
    overrides: Overrides = NO_OVERRIDES,
) -> PluginConfig:
    """Resolve every known setting of ``plugin`` (see the module docstring for the order).

    ``environment`` names the active environment; None means the project's default one.
    ``declared`` are settings the plugin itself declares (its ``--about``): they type values
    from variables and overrides, and mark secrets where plugins.yml declares nothing of
    that name. ``overrides`` are a run's ``--config`` values; those of other plugins are
    ignored.
    """
    plugin = project.plugin(plugin) if isinstance(plugin, str) else plugin
    active = project.environment(environment)
    layers = _layers(project, plugin, environment)
    extra = {s.name: s for s in declared}
    own = overrides.get(plugin.name, {})
    names = dict.fromkeys(s.name for s in plugin.settings)
    for _, _, layer in layers:
        names.update(dict.fromkeys(layer))
    ignored: list[str] = []
    for name, variable in _variable_names(project, plugin, names):
        if name not in extra:
            if variable in project.referenced_variables:
                continue  # a ${VAR} of plugins.yml (a secret config set moved to .env)
            if extra and variable not in project.dotenv:
                ignored.append(variable)
                continue
        names[name] = None
    names.update(dict.fromkeys(own))
    settings = tuple(
        _resolve(project, plugin, name, layers, extra, overrides=own) for name in names
    )
    return PluginConfig(plugin.name, active.name if active else None, settings, tuple(ignored))


def resolve_setting(
    project: Project, plugin: str | Plugin, name: str, *, environment: str | None = None
) -> ResolvedSetting:
    """Resolve one setting, declared or not; ``source`` is UNSET when nothing sets it."""
    plugin = project.plugin(plugin) if isinstance(plugin, str) else plugin
    return _resolve(project, plugin, name, _layers(project, plugin, environment))


_Layer = tuple[SettingSource, str, Mapping[str, Any]]


def _variable_names(
    project: Project, plugin: Plugin, known: Iterable[str]
) -> list[tuple[str, str]]:
    """(setting name, variable) of ``<PLUGIN>_*`` variables that no known name accounts for.

    A variable that belongs to another plugin with a longer prefix (``TAP_CSV_X`` when
    both ``tap`` and ``tap-csv`` exist) is not taken as ``csv_x`` of ``tap``.
    """
    prefix = plugin.env_prefix + "_"
    others = [
        other.env_prefix + "_"
        for other in project.plugins
        if other.env_prefix.startswith(prefix) and other.env_prefix + "_" != prefix
    ]
    accounted = {setting_variable(plugin.name, name) for name in known}
    found: list[tuple[str, str]] = []
    for variables in (project.environ, project.dotenv):
        for variable in variables:
            if (
                variable.startswith(prefix)
                and len(variable) > len(prefix)
                and variable not in accounted
                and not any(variable.startswith(other) for other in others)
            ):
                accounted.add(variable)
                found.append((variable[len(prefix) :].lower(), variable))
    return found


def _layers(project: Project, plugin: Plugin, environment: str | None) -> list[_Layer]:
    """The config layers from plugins.yml, lowest precedence first."""
    defaults = {s.name: s.default for s in plugin.settings}
    layers: list[_Layer] = [(SettingSource.DEFAULT, "", defaults)]
    for ancestor in reversed(plugin.ancestors):
        layers.append((SettingSource.INHERITED, ancestor.name, ancestor.spec.config))
    layers.append((SettingSource.PLUGINS_YML, plugin.path, plugin.spec.config))
    active = project.environment(environment)
    if active is not None:
        config = project.environment_config(active, plugin)
        layers.append((SettingSource.ENVIRONMENT, active.name, config))
    return layers


def _resolve(
    project: Project,
    plugin: Plugin,
    name: str,
    layers: list[_Layer],
    extra: Mapping[str, SettingSpec] | None = None,
    *,
    overrides: Mapping[str, object] | None = None,
) -> ResolvedSetting:
    setting = plugin.setting(name) or (extra or {}).get(name)
    secret = is_secret(name, setting)
    override = (overrides or {}).get(name)
    if override is not None:
        if setting is not None:
            where = f"--config {plugin.name}.{name}"
            override = coerce_setting(setting.kind, override, where=where, secret=secret)
        return ResolvedSetting(name, override, SettingSource.OVERRIDE, secret)
    variable = setting_variable(plugin.name, name)
    for source, values, label in (
        (SettingSource.ENV, project.environ, "environment variable"),
        (SettingSource.DOTENV, project.dotenv, f"variable in {DOTENV_FILE}"),
    ):
        text = values.get(variable)
        if text:
            typed = _typed(setting, text, f"{label} {variable}", f"{plugin.name}.{name}", secret)
            return ResolvedSetting(name, typed, source, secret, variable)
    value: object = None
    found: tuple[SettingSource, str] = (SettingSource.UNSET, "")
    for source, origin, layer in layers:
        item = layer.get(name)
        if item is None:
            continue
        if isinstance(value, Mapping) and isinstance(item, Mapping):
            value = deep_merge(value, item)
        else:
            value = item
        found = (source, origin)
    return ResolvedSetting(name, value, found[0], secret, found[1])


def _typed(
    setting: SettingSpec | None, text: str, variable: str, what: str, secret: bool
) -> object:
    """``text`` of ``variable`` (e.g. "environment variable X") as ``setting``'s kind; the
    error quotes the text unless it is a secret."""
    if setting is None:
        return text
    try:
        return coerce(setting.kind, text)
    except ValueError as error:
        problem = f"expected {setting.kind.value}" if secret else str(error)
        raise ConfigError(
            f"{problem} in {variable}",
            where=what,
            hint=f"Fix or unset {variable.rpartition(' ')[2]}",
        ) from None
