"""``elt add``: declare a plugin in plugins.yml, from elt's catalogue or from a pip_url."""

from __future__ import annotations

import click

from elt.cli.render import format_option, json_text, table
from elt.cli.session import Session, pass_session
from elt.errors import UsageError
from elt.project import CatalogueEntry, PluginKind, add_plugin, catalogue

__all__ = ["add"]


@click.command()
@click.argument("kind", type=click.Choice([kind.value for kind in PluginKind]), required=False)
@click.argument("name", required=False)
@click.option("--pip-url", help="pip requirement(s): PyPI name, local path or git URL.")
@click.option("--executable", help="Command to run. Default: the plugin name.")
@click.option("--inherit-from", "inherit_from", metavar="PARENT", help="Plugin to inherit from.")
@click.option(
    "--list", "show_list", is_flag=True, help="Show the catalogue (of KIND, if given) instead."
)
@format_option("table")
@pass_session
def add(
    session: Session,
    *,
    kind: str | None,
    name: str | None,
    pip_url: str | None,
    executable: str | None,
    inherit_from: str | None,
    show_list: bool,
    output: str,
) -> None:
    """Add a tap, target or mapper to plugins.yml.

    KIND is tap, target or mapper; NAME must be unused by any plugin. The entry is
    appended to its list; the rest of the file, comments included, is left as it was.

    Without --pip-url, NAME comes from elt's catalogue (`elt add --list`), which ships
    with elt and needs no network: elt's own plugins install as elt's own distribution at
    elt's version, the others at the version elt is tested with; their settings are known
    before they are installed (`elt config list NAME --all`). A name the catalogue does
    not have needs --pip-url (exit 78 otherwise): it could be anybody's package.

    \b
    Examples:
      elt add tap tap-csv
      elt add target target-jsonl
      elt add target target-mine --pip-url 'git+https://github.com/org/target-mine'
      elt add tap tap-csv-sales --inherit-from tap-csv
      elt add --list target
    """
    if show_list:
        _show_catalogue(output, None if kind is None else PluginKind(kind))
        return
    if kind is None or name is None:
        raise UsageError(
            "elt add needs KIND and NAME",
            hint="For example `elt add tap tap-csv`; `elt add --list` shows the names",
        )
    added = add_plugin(
        session.root(),
        PluginKind(kind),
        name,
        pip_url=pip_url,
        executable=executable,
        inherit_from=inherit_from,
    )
    click.echo(f"added {added.kind.value} {added.name} to {added.file} ({added.path})")
    if added.entry is not None:
        entry = added.entry
        click.echo(
            f"  from elt's catalogue: installs {_installs(entry)}; "
            f"{len(entry.settings)} settings (`elt config list {added.name} --all`); "
            f"capabilities: {', '.join(entry.capabilities) or 'none declared'}"
        )


def _installs(entry: CatalogueEntry) -> str:
    return f"{entry.distribution} at elt's version" if entry.own else str(entry.pip_url)


def _show_catalogue(output: str, kind: PluginKind | None) -> None:
    entries = [e for e in catalogue() if kind is None or e.kind is kind]
    if output == "json":
        click.echo(
            json_text(
                [
                    {
                        "kind": e.kind.value,
                        "name": e.name,
                        "distribution": e.distribution,
                        "pip_url": e.pip_url,
                        "executable": e.executable,
                        "own": e.own,
                        "description": e.description,
                        "capabilities": list(e.capabilities),
                        "settings": [s.model_dump(mode="json") for s in e.settings],
                    }
                    for e in entries
                ]
            )
        )
        return
    rows = [[e.kind.value, e.name, _installs(e), e.description] for e in entries]
    click.echo(table(["kind", "name", "installs", "description"], rows))
