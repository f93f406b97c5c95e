"""``elt add``: declare a plugin in plugins.yml."""

from __future__ import annotations

import click

from elt.cli.session import Session, pass_session
from elt.project import PluginKind, add_plugin

__all__ = ["add"]


@click.command()
@click.argument("kind", type=click.Choice([kind.value for kind in PluginKind]))
@click.argument("name")
@click.option("--pip-url", help="pip requirement(s): PyPI name, local path or git URL.")
@click.option("--executable", help="Command to run. Default: the plugin name.")
@click.option("--inherit-from", "inherit_from", metavar="PARENT", help="Plugin to inherit from.")
@pass_session
def add(
    session: Session,
    *,
    kind: str,
    name: str,
    pip_url: str | None,
    executable: str | None,
    inherit_from: str | None,
) -> None:
    """Add a tap, target or mapper to plugins.yml.

    KIND is tap, target or mapper; NAME must be unused by any plugin. The entry is
    appended to its list; the rest of the file, comments included, is left as it was.

    \b
    Examples:
      elt add tap tap-csv --pip-url ./taps/tap-csv
      elt add target target-postgres --pip-url 'git+https://github.com/org/target-postgres'
      elt add tap tap-csv-sales --inherit-from tap-csv
    """
    added = add_plugin(
        session.root(),
        PluginKind(kind),
        name,
        pip_url=pip_url,
        executable=executable,
        inherit_from=inherit_from,
    )
    click.echo(f"added {added.kind.value} {added.name} to {added.file} ({added.path})")
