"""``elt invoke``: run one plugin by hand with the project's config."""

from __future__ import annotations

import click

from elt.cli.render import json_text
from elt.cli.session import Session, pass_session
from elt.run import dump_config, install_missing, invoke_plugin

__all__ = ["invoke"]


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("plugin")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--dump",
    type=click.Choice(["config"]),
    help="Print what the plugin would get instead of running it: its generated config.",
)
@click.option("--unsafe", is_flag=True, help="With --dump config: show secrets in clear.")
@click.option(
    "--no-install",
    "no_install",
    is_flag=True,
    help="Fail if the plugin is not installed, instead of installing it first.",
)
@pass_session
def invoke(
    session: Session,
    *,
    plugin: str,
    args: tuple[str, ...],
    dump: str | None,
    unsafe: bool,
    no_install: bool,
) -> None:
    """Run PLUGIN's executable from its virtualenv with the generated config.

    The plugin gets `--config <file>` (the resolved config, mode 0600, deleted afterwards)
    followed by ARGS, and elt's stdin, stdout and stderr; elt exits with the plugin's exit
    code. Options of elt invoke go before PLUGIN; everything after it goes to the plugin.
    A plugin that is not installed is installed first.

    \b
    Examples:
      elt invoke tap-csv --discover > catalog.json
      elt invoke tap-csv --about --format json
      elt invoke target-jsonl < messages.jsonl
      elt -e prod invoke --dump config target-postgres
    """
    project = session.project()
    if dump == "config":
        config = dump_config(project, plugin, environment=session.environment, unsafe=unsafe)
        click.echo(json_text(config))
        return
    for installed in install_missing(
        project, [project.plugin(plugin)], environment=session.environment, install=not no_install
    ):
        click.echo(f"installed {installed.plugin} into {installed.venv}", err=True)
    code = invoke_plugin(project, plugin, args, environment=session.environment)
    click.get_current_context().exit(code)
