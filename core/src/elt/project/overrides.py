"""Per-run config overrides: ``--config PLUGIN.SETTING=VALUE`` on ``elt run`` and ``elt job run``.

An override sets one setting of one plugin for one run, above every other source
(:attr:`elt.project.settings.SettingSource.OVERRIDE`), and is never written to plugins.yml
or ``.env``: the run history keeps it, with secrets redacted. It reads exactly like
``elt config set PLUGIN SETTING VALUE``: the same setting names (dots are part of a name,
not a path into an object) and the same typing of VALUE (a YAML scalar unless the declared
kind is textual, then coerced to the declared kind), so ``--config tap-csv.delimiter=';'``
and ``elt config set tap-csv delimiter ';'`` spell one change. Like an environment
variable, an override replaces the whole value; a YAML ``null`` sets nothing. VALUE is
taken as typed, without ``${VAR}`` interpolation: the shell has had its turn.

Plugin names may hold dots too, so ``PLUGIN.SETTING`` is split after the longest name of
the run's plugins that it starts with; naming a plugin the run does not use is an error
(an override that silently applies to nothing would hide a typo).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from elt.errors import UsageError
from elt.project.kinds import coerce_setting, parse_value
from elt.project.model import valid_setting_name
from elt.project.project import Project
from elt.project.settings import Overrides, is_secret, redact

__all__ = [
    "OVERRIDE_FORM",
    "check_overrides",
    "parse_overrides",
    "redact_overrides",
    "typed_overrides",
]

OVERRIDE_FORM = "PLUGIN.SETTING=VALUE"


def parse_overrides(
    project: Project, items: Iterable[str], plugins: Sequence[str], *, scope: str = "the run"
) -> dict[str, dict[str, object]]:
    """``PLUGIN.SETTING=VALUE`` items as ``{plugin: {setting: value}}``, typed by plugins.yml.

    ``plugins`` are the plugins the overrides may name (the run's blocks), ``scope`` says
    what they belong to in an error. A later item for the same setting wins. Raises
    UsageError for a malformed item or a plugin outside ``plugins``, ConfigError for a
    value that is not of the setting's declared kind. Errors quote ``PLUGIN.SETTING``,
    never VALUE, which may be a secret.
    """
    overrides: dict[str, dict[str, object]] = {}
    for item in items:
        key, equals, text = item.partition("=")
        if not equals or "." not in key:
            # without "=" the item may be a value alone: shown only when it names a plugin
            known = equals or _plugin_of(key, [p.name for p in project.plugins])
            raise UsageError(
                f"--config {repr(key) if known else '(not shown)'} is not {OVERRIDE_FORM}",
                hint=f"Write it like --config {plugins[0]}.start_date=2024-01-01",
            )
        name, setting = _split(project, key, plugins, scope)
        declared = project.plugin(name).setting(setting)
        value = parse_value(text, declared.kind if declared else None)
        overrides.setdefault(name, {})[setting] = _coerced(project, name, setting, value)
    return overrides


def typed_overrides(
    project: Project,
    config: Mapping[str, object],
    plugins: Sequence[str],
    *,
    scope: str = "the run",
) -> dict[str, dict[str, object]]:
    """``{"PLUGIN.SETTING": value}`` (the Python API's ``config=``) as ``{plugin: {setting:
    value}}``: keys split and checked as :func:`parse_overrides` does, values taken as given
    (a Python value needs no reading) and coerced to the setting's declared kind. A None
    value sets nothing, like a YAML ``null``."""
    overrides: dict[str, dict[str, object]] = {}
    for key, value in config.items():
        if not isinstance(key, str) or "." not in key:
            raise UsageError(
                f"config key {key!r} is not PLUGIN.SETTING",
                hint=f'Write it like {{"{plugins[0]}.start_date": "2024-01-01"}}',
            )
        name, setting = _split(project, key, plugins, scope)
        if value is not None:
            overrides.setdefault(name, {})[setting] = _coerced(project, name, setting, value)
    return overrides


def _split(project: Project, key: str, plugins: Sequence[str], scope: str) -> tuple[str, str]:
    """``PLUGIN.SETTING`` as (plugin, setting), the plugin one of ``plugins``."""
    name = _plugin_of(key, plugins)
    if name is None:
        named = _plugin_of(key, [p.name for p in project.plugins]) or key.partition(".")[0]
        raise UsageError(
            f"--config {key}: {named} is not a plugin of {scope}",
            hint=f"Override a setting of one of {', '.join(dict.fromkeys(plugins))}",
        )
    setting = key[len(name) + 1 :]
    try:
        valid_setting_name(setting)
    except ValueError as error:
        raise UsageError(f"--config {key}: {error}", hint=f"Write it as {OVERRIDE_FORM}") from None
    return name, setting


def _coerced(project: Project, plugin: str, setting: str, value: object) -> object:
    """``value`` as the setting's declared kind (as given when it declares none)."""
    declared = project.plugin(plugin).setting(setting)
    if declared is None:
        return value
    secret = is_secret(setting, declared)
    return coerce_setting(declared.kind, value, where=f"--config {plugin}.{setting}", secret=secret)


def check_overrides(overrides: Overrides, plugins: Sequence[str], *, scope: str) -> None:
    """Refuse overrides of a plugin outside ``plugins`` (for callers of the library, who
    skip :func:`parse_overrides`)."""
    foreign = [name for name in overrides if name not in plugins]
    if foreign:
        raise UsageError(
            f"config overrides of a plugin outside {scope}: {', '.join(foreign)}",
            hint=f"Override a setting of one of {', '.join(dict.fromkeys(plugins))}",
        )


def redact_overrides(
    overrides: Overrides, secret: Callable[[str, str], bool]
) -> dict[str, dict[str, object]]:
    """The overrides as the history and alerts keep them: each value ``secret(plugin,
    setting)`` says is one as ``********``, and secret-looking keys inside objects too."""
    return {
        plugin: {name: redact(value, secret=secret(plugin, name)) for name, value in items.items()}
        for plugin, items in overrides.items()
    }


def _plugin_of(key: str, names: Iterable[str]) -> str | None:
    """The longest of ``names`` that ``key`` starts with, followed by a dot."""
    found = [name for name in names if key.startswith(f"{name}.")]
    return max(found, key=len) if found else None
