"""``elt config``: show a plugin's settings with their sources, and change them."""

from __future__ import annotations

import click

from elt.cli.render import format_option, json_text, table, value_text
from elt.cli.session import Session, pass_session
from elt.errors import ConfigError, PluginError
from elt.install import venv_dir
from elt.project import (
    ConfigStore,
    Plugin,
    Project,
    SettingSource,
    SettingSpec,
    entry_for,
    is_secret,
    load_project,
    redact,
    resolve_config,
    resolve_setting,
    settings_from_schema,
)
from elt.project import set_config as set_value
from elt.project import unset_config as unset_value
from elt.run.about import plugin_about
from elt.run.invoker import (
    find_executable,
    plugin_config,
    plugin_environment,
)

__all__ = ["config"]

_STORES = click.Choice([store.value for store in ConfigStore])
_UNSET_WHERE = {
    ConfigStore.AUTO: "plugins.yml or .env",
    ConfigStore.YML: "plugins.yml",
    ConfigStore.DOTENV: ".env",
    ConfigStore.ENVIRONMENT: "the active environment",
}
_SHOW_SECRETS = click.option(
    "--show-secrets", is_flag=True, help="Print secret values instead of ********."
)


@click.group()
def config() -> None:
    """Show and change plugin settings.

    A value comes from the first source that sets it: the environment variable
    <PLUGIN>_<SETTING> (e.g. TAP_CSV_PORT), the same variable in .env, the active
    environment's block in plugins.yml, the plugin's config in plugins.yml, its
    inherit_from parent, then the declared default. `elt run --config PLUGIN.SETTING=VALUE`
    sets one for a single run, over all of them.

    \b
    Examples:
      elt config list tap-csv
      elt config set target-postgres port 5433
      elt config set target-postgres password   # prompts; stored in .env
    """


@config.command("list")
@click.argument("plugin")
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="Every setting the plugin declares, set or not, with its kind, default, secrecy and "
    "description.",
)
@format_option("table")
@_SHOW_SECRETS
@pass_session
def list_settings(
    session: Session, plugin: str, output: str, show_secrets: bool, show_all: bool
) -> None:
    """List the settings of PLUGIN with their values and sources.

    Secret values are shown as ******** unless --show-secrets is given. With --all, every
    setting the plugin declares is listed, set or not: what its --about says once it is
    installed, what elt's catalogue says before (`elt add --list`), with plugins.yml's own
    `settings` over either.

    \b
    Examples:
      elt config list tap-csv
      elt config list tap-csv --all
      elt -e prod config list target-postgres --format json
    """
    project = session.project()
    if show_all:
        _list_all(project, project.plugin(plugin), session.environment, output, show_secrets)
        return
    resolved = plugin_config(project, project.plugin(plugin), environment=session.environment)
    if output == "json":
        settings = [
            {
                "name": s.name,
                "value": s.shown(reveal=show_secrets),
                "source": s.source.value,
                "origin": s.origin,
                "secret": s.secret,
            }
            for s in resolved.settings
        ]
        document = {
            "plugin": resolved.plugin,
            "environment": resolved.environment,
            "settings": settings,
        }
        click.echo(json_text(document))
        return
    rows = [[s.name, value_text(s.shown(reveal=show_secrets)), s.label] for s in resolved.settings]
    click.echo(table(["setting", "value", "source"], rows))


@config.command("get")
@click.argument("plugin")
@click.argument("setting")
@_SHOW_SECRETS
@pass_session
def get_setting(session: Session, plugin: str, setting: str, show_secrets: bool) -> None:
    """Print the value of SETTING of PLUGIN.

    Text is printed as is, other values as JSON; a secret as ******** unless
    --show-secrets is given. Exits with status 78 when nothing sets it.

    \b
    Examples:
      elt config get tap-csv delimiter
      PORT=$(elt config get target-postgres port)
    """
    project = session.project()
    config = plugin_config(project, project.plugin(plugin), environment=session.environment)
    resolved = next((s for s in config.settings if s.name == setting), None) or resolve_setting(
        project, plugin, setting, environment=session.environment
    )
    if resolved.source is SettingSource.UNSET:
        raise ConfigError(
            "not set",
            where=f"{plugin}.{setting}",
            hint=f"Set it with `elt config set {plugin} {setting} VALUE`",
        )
    click.echo(value_text(resolved.shown(reveal=show_secrets)))


@config.command("set")
@click.argument("plugin")
@click.argument("setting")
@click.argument("value", required=False)
@click.option(
    "--store",
    type=_STORES,
    default=ConfigStore.AUTO.value,
    show_default=True,
    help="Where to write: auto (secrets to .env, the rest to plugins.yml), yml, dotenv, "
    "or environment (the active environment's block).",
)
@click.option(
    "--force", is_flag=True, help="Set it even if the plugin declares no setting of that name."
)
@pass_session
def set_setting(
    session: Session, *, plugin: str, setting: str, value: str | None, store: str, force: bool
) -> None:
    """Set SETTING of PLUGIN to VALUE.

    VALUE is read as a YAML scalar, so 5432 is a number and true a boolean (text for
    string and password settings); write lists as [a, b] and objects as {k: v} or JSON.
    It is checked against the kind the plugin declares (plugins.yml `settings`, else the
    plugin's --about), and a setting neither declares is refused unless --force. Secrets
    (declared or marked by the plugin, kind password, a secret-like name, a URL with a
    password, or a secret inside an object) go to .env, never to plugins.yml, and are not
    echoed. Without VALUE you are prompted with hidden input, which keeps a secret out of
    your shell history. Comments and order in plugins.yml are preserved.

    \b
    Examples:
      elt config set tap-csv delimiter ';'
      elt config set tap-csv files '[{entity: users, path: data/users.csv, keys: [id]}]'
      elt config set target-postgres password
      elt -e dev config set target-postgres database dev --store environment
    """
    if value is None:
        value = click.prompt(f"{plugin}.{setting}", hide_input=True)
    project = load_project(session.root(), interpolate=False)
    declared, _ = _declaration(project, project.plugin(plugin), session.environment)
    change = set_value(
        session.root(),
        plugin,
        setting,
        value,
        store=ConfigStore(store),
        environment=session.environment,
        parse=True,
        declared=declared,
        force=force,
    )
    shown = value_text(redact(change.value, secret=change.secret))
    click.echo(f"set {change.plugin}.{change.setting} = {shown} in {change.location}")
    if change.secret_variables:
        click.echo(f"  its secrets are in .env: {', '.join(change.secret_variables)}")
    if not change.checked:
        click.echo(
            f"note: {change.plugin} is not installed, so the value was not checked against the "
            f"settings it declares; after `elt install {change.plugin}`, setting it again "
            "checks it",
            err=True,
        )
    if change.shadowed_by:
        click.echo(f"note: {change.shadowed_by} overrides this value", err=True)


@config.command("unset")
@click.argument("plugin")
@click.argument("setting")
@click.option(
    "--store",
    type=_STORES,
    default=ConfigStore.AUTO.value,
    show_default=True,
    help="Where to remove it from: auto (plugins.yml and .env), yml, dotenv, environment.",
)
@pass_session
def unset_setting(session: Session, plugin: str, setting: str, store: str) -> None:
    """Remove the value of SETTING of PLUGIN.

    \b
    Examples:
      elt config unset tap-csv delimiter
      elt -e dev config unset target-postgres database --store environment
    """
    removal = unset_value(
        session.root(),
        plugin,
        setting,
        store=ConfigStore(store),
        environment=session.environment,
    )
    for location in removal.locations:
        click.echo(f"removed {removal.plugin}.{removal.setting} from {location}")
    if not removal.locations:
        where = _UNSET_WHERE[ConfigStore(store)]
        click.echo(f"{removal.plugin}.{removal.setting} was not set in {where}; nothing to do")
    if removal.still_set_by:
        click.echo(f"note: still set by {removal.still_set_by}", err=True)


def _list_all(
    project: Project, plugin: Plugin, environment: str | None, output: str, reveal: bool
) -> None:
    """``elt config list PLUGIN --all``: every declared setting with its value, if any."""
    declared, origin = _declaration(project, plugin, environment)
    specs = {s.name: s for s in declared or ()} | {s.name: s for s in plugin.settings}
    resolved = resolve_config(
        project, plugin, environment=environment, declared=tuple(specs.values())
    )
    values = {s.name: s for s in resolved.settings}
    rows = []
    for name in [*specs, *(n for n in values if n not in specs)]:
        spec, value = specs.get(name), values.get(name)
        rows.append(
            {
                "name": name,
                "kind": spec.kind.value if spec else None,
                "default": spec.default if spec else None,
                "secret": is_secret(name, spec),
                "required": bool(spec and spec.required),
                "description": " ".join((spec.description or "").split()) if spec else None,
                "value": value.shown(reveal=reveal) if value else None,
                "source": value.source.value if value else SettingSource.UNSET.value,
                "label": value.label if value else "unset",
            }
        )
    if output == "json":
        document = {
            "plugin": plugin.name,
            "environment": resolved.environment,
            "declared_by": origin,
            "settings": [{k: v for k, v in row.items() if k != "label"} for row in rows],
        }
        click.echo(json_text(document))
        return
    headers = ["setting", "kind", "default", "secret", "value", "source", "description"]
    click.echo(
        table(
            headers,
            [
                [
                    str(row["name"]),
                    str(row["kind"] or "-"),
                    value_text(row["default"]),
                    "yes" if row["secret"] else "",
                    value_text(row["value"]),
                    str(row["label"]),
                    str(row["description"] or "(not declared)"),
                ]
                for row in rows
            ],
        )
    )
    click.echo(f"declared by {origin}", err=True)


def _declaration(
    project: Project, plugin: Plugin, environment: str | None
) -> tuple[tuple[SettingSpec, ...] | None, str]:
    """The settings ``plugin`` declares, with defaults, and who says so (None: nobody).

    elt's catalogue speaks for a catalogued plugin not installed in the project yet (it
    describes what will be installed; an executable of that name elsewhere on PATH may be
    another program); otherwise the plugin's ``--about``, then the catalogue again.
    """
    entry = entry_for(plugin)
    if entry is not None and not (venv_dir(project.root, plugin) / "bin").is_dir():
        return entry.settings, f"elt's catalogue ({entry.distribution}; not installed yet)"
    env = plugin_environment(project, environment)
    try:
        executable = find_executable(project, plugin, env.get("PATH"))
    except PluginError:
        executable = None
    if executable is not None:
        about = plugin_about(executable, env)
        found = settings_from_schema(about.get("settings") if isinstance(about, dict) else None)
        if found is not None:
            return found, f"`{plugin.executable} --about` ({executable})"
    if entry is not None:
        return entry.settings, f"elt's catalogue ({entry.distribution}; it has no --about)"
    if executable is None:
        return None, f"nobody: {plugin.name} is not installed and not in elt's catalogue"
    return None, f"nobody: {plugin.name} has no --about and is not in elt's catalogue"
