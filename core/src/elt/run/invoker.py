"""Everything one plugin process needs before it starts: executable, config file, environment.

The executable is looked for, in order, in the plugin's own virtualenv
(``<project>/.elt/plugins/<kind>/<name>/venv/bin``, where ``elt install`` puts it, or the
venv of the plugin it inherits its install from), on the
``PATH`` the plugin will run with, and beside the running Python (the ``.venv/bin`` of a
workspace that has the plugin installed). The project's own install comes first so that a
same-named tool elsewhere on ``PATH`` never silently runs instead. An ``executable`` with a
``/`` is a path, relative to the project root.

The resolved config goes to a file of mode 0600 in the run's private directory (mode 0700,
removed when the run ends, or by the next elt command when it was killed:
:mod:`elt.run.private`): secrets are handed to the plugin the Singer way, as a file,
never on a command line or in a log; the run log keeps a copy with secrets as ``********``
(``shown_config``), to debug a failure with. The plugin runs in the project root, with the
environment of elt plus the active environment's ``env:`` block.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from elt.errors import ConfigError, PluginError
from elt.install import venv_dir
from elt.project import (
    NO_OVERRIDES,
    Overrides,
    Plugin,
    PluginConfig,
    Project,
    SettingSource,
    SettingSpec,
    basic_credentials,
    is_secret,
    redact_overrides,
    resolve_config,
    secret_texts,
)
from elt.protocol import METRIC_INTERVAL_ENV, dumps
from elt.run.about import capabilities, declared_settings

__all__ = [
    "Invocation",
    "declared_by_plugin",
    "find_executable",
    "plugin_config",
    "plugin_environment",
    "prepare",
    "shown_overrides",
    "with_metric_interval",
]


@dataclass(frozen=True)
class Invocation:
    """One plugin, ready to start."""

    plugin: Plugin
    executable: Path
    config_file: Path
    env: Mapping[str, str]
    cwd: Path
    secrets: tuple[str, ...]
    shown_config: Mapping[str, object]
    warnings: tuple[str, ...] = ()
    capabilities: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return self.plugin.name

    @property
    def kind(self) -> str:
        return self.plugin.kind.value

    def argv(self, *args: str) -> list[str]:
        """The command line: ``<executable> --config <file> [args...]``."""
        return [str(self.executable), "--config", str(self.config_file), *args]


def prepare(
    project: Project,
    plugin: Plugin,
    *,
    environment: str | None,
    workdir: Path,
    overrides: Overrides = NO_OVERRIDES,
) -> Invocation:
    """Resolve ``plugin`` under ``environment`` and write its config file into ``workdir``.

    Raises ConfigError when a required setting has no value (before anything starts) and
    PluginError when the executable cannot be found. What the plugin declares of its
    settings (:mod:`elt.run.about`) types and redacts values, and a setting it does not
    declare becomes one of the invocation's ``warnings``. ``overrides`` (a run's
    ``--config``) win over every other source; those of other plugins are ignored.
    """
    env = plugin_environment(project, environment)
    executable = find_executable(project, plugin, env.get("PATH"))
    declared = declared_settings(executable, env)
    resolved = resolve_config(
        project, plugin, environment=environment, declared=declared or (), overrides=overrides
    )
    missing = resolved.missing(plugin)
    if missing:
        raise ConfigError(
            f"required setting{'s' if len(missing) > 1 else ''} not set: {', '.join(missing)}",
            where=plugin.name,
            hint=f"Set {'them' if len(missing) > 1 else 'it'} with "
            f"`elt config set {plugin.name} {missing[0]} VALUE`",
        )
    config_file = workdir / f"{plugin.name}.config.json"
    write_private(config_file, dumps(resolved.values()))
    settings = [s for s in resolved.settings if s.source is not SettingSource.UNSET]
    secrets = tuple(text for s in settings for text in secret_texts(s.value, secret=s.secret))
    secrets += tuple(basic_credentials(resolved.values()))
    shown = {s.name: s.shown() for s in settings}
    warnings = _undeclared(plugin, [s.name for s in settings], declared) + tuple(
        f"the environment variable {variable} names no setting {plugin.name} declares; "
        f"not passed to it (a typo? see `{plugin.name} --about`)"
        for variable in resolved.ignored_variables
    )
    found = capabilities(executable, env)
    return Invocation(
        plugin, executable, config_file, env, project.root, secrets, shown, warnings, found
    )


def with_metric_interval(invocation: Invocation, seconds: float) -> Invocation:
    """``invocation`` asked to log its METRIC counters every ``seconds`` (if it reads
    ``ELT_METRIC_INTERVAL``, as elt's own plugins do)."""
    env = {**invocation.env, METRIC_INTERVAL_ENV: f"{seconds:g}"}
    return replace(invocation, env=env)


def _undeclared(
    plugin: Plugin, names: list[str], declared: tuple[SettingSpec, ...] | None
) -> tuple[str, ...]:
    """A warning naming the settings with a value that neither plugin nor plugins.yml declares.

    They are passed through all the same: a plugin may accept more than it declares.
    """
    if declared is None:  # the plugin cannot say what it takes (no --about)
        return ()
    known = {s.name for s in declared}
    unknown = [n for n in names if n not in known and plugin.setting(n) is None]
    if not unknown:
        return ()
    return (
        f"{plugin.name} does not declare the setting{'s' if len(unknown) > 1 else ''} "
        f"{', '.join(unknown)}; passed through anyway (a typo? see `{plugin.name} --about`)",
    )


def plugin_config(project: Project, plugin: Plugin, *, environment: str | None) -> PluginConfig:
    """The plugin's resolved config, typed and redacted with what the plugin declares when
    its executable can be found (``elt config list``, ``--dump config``), else without."""
    declared = _declared_if_installed(project, plugin, environment)
    return resolve_config(project, plugin, environment=environment, declared=declared)


def shown_overrides(
    project: Project, overrides: Overrides, *, environment: str | None
) -> dict[str, dict[str, object]]:
    """A run's overrides as its history row (and so its alerts) keeps them: a value is
    ``********`` when :func:`prepare` would redact it in the log, by what plugins.yml and,
    when it can be found, the plugin itself declares."""
    declared: dict[str, dict[str, SettingSpec]] = {}
    for name in overrides:
        specs = _declared_if_installed(project, project.plugin(name), environment)
        declared[name] = {s.name: s for s in specs}

    def secret(plugin: str, setting: str) -> bool:
        spec = project.plugin(plugin).setting(setting) or declared[plugin].get(setting)
        return is_secret(setting, spec)

    return redact_overrides(overrides, secret)


def _declared_if_installed(
    project: Project, plugin: Plugin, environment: str | None
) -> tuple[SettingSpec, ...]:
    """What the plugin declares of its settings; nothing when it cannot be found or say."""
    return declared_by_plugin(project, plugin, environment=environment) or ()


def declared_by_plugin(
    project: Project, plugin: Plugin, *, environment: str | None
) -> tuple[SettingSpec, ...] | None:
    """The settings the plugin's ``--about`` declares; None when it is not installed (nor
    on PATH) or cannot say (no ``--about``)."""
    env = plugin_environment(project, environment)
    try:
        executable = find_executable(project, plugin, env.get("PATH"))
    except PluginError:
        return None
    return declared_settings(executable, env)


def plugin_environment(project: Project, environment: str | None) -> dict[str, str]:
    """Variables a plugin runs with: elt's own, then the active environment's ``env:``."""
    env = dict(project.environ)
    active = project.environment(environment)
    if active is not None:
        env.update(active.env)
    return env


def find_executable(project: Project, plugin: Plugin, search_path: str | None) -> Path:
    """The file to run for ``plugin`` (see the module docstring for where it is looked for)."""
    name = plugin.executable
    if "/" in name:
        path = (project.root / name).resolve()
        if _is_executable(path):
            return path
        raise PluginError(
            f"executable {name!r} of {plugin.name} is not an executable file ({path})",
            where=plugin.path,
            hint="Fix `executable:` in plugins.yml, or make the file executable",
        )
    places = [
        venv_dir(project.root, plugin) / "bin",
        *(Path(p) for p in (search_path or "").split(os.pathsep) if p),
        Path(sys.executable).parent,
    ]
    for directory in places:
        candidate = directory / name
        if _is_executable(candidate):
            return candidate.absolute()
    raise PluginError(
        f"executable {name!r} of {plugin.name} not found in its virtualenv "
        f"({places[0]}), on PATH, or beside elt ({places[-1]})",
        where=plugin.path,
        hint=f"Install it with `elt install {plugin.name}`, or set `executable:` in "
        "plugins.yml to its path",
    )


def write_private(path: Path, data: bytes) -> None:
    """Create ``path`` readable by its owner only, with ``data``; never reuse a file."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
