"""``elt config``: show a plugin's settings with their sources, and change them."""

from __future__ import annotations

import click

from elt.cli.render import format_option, json_text, table, value_text
from elt.cli.session import Session, pass_session
from elt.errors import ConfigError
from elt.project import ConfigStore, SettingSource, load_project, redact, resolve_setting
from elt.project import set_config as set_value
from elt.project import unset_config as unset_value
from elt.run.invoker import declared_by_plugin, plugin_config

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
@format_option("table")
@_SHOW_SECRETS
@pass_session
def list_settings(session: Session, plugin: str, output: str, show_secrets: bool) -> None:
    """List the settings of PLUGIN with their values and sources.

    Secret values are shown as ******** unless --show-secrets is given.

    \b
    Examples:
      elt config list tap-csv
      elt -e prod config list target-postgres --format json
    """
    project = session.project()
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
    declared = declared_by_plugin(project, project.plugin(plugin), environment=session.environment)
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
