"""``elt select``: choose a tap's streams and properties, and see what the rules select."""

from __future__ import annotations

import click

from elt.cli.render import format_option, json_text, table
from elt.cli.session import Session, pass_session
from elt.errors import UsageError
from elt.project import change_selection
from elt.protocol import explain_selection
from elt.run.discovery import discover_catalog

__all__ = ["select"]


@click.command()
@click.argument("tap")
@click.argument("stream", required=False)
@click.argument("prop", metavar="[PROPERTY]", required=False)
@click.option("--exclude", is_flag=True, help="Add an exclusion (!STREAM.PROPERTY) instead.")
@click.option("--remove", is_flag=True, help="Remove the rule instead of adding it.")
@click.option("--list", "listing", is_flag=True, help="Show what the rules select.")
@click.option("--all", "show_all", is_flag=True, help="With --list: unselected ones too.")
@click.option("--refresh", is_flag=True, help="With --list: discover again, not from the cache.")
@format_option("table")
@pass_session
def select(
    session: Session,
    *,
    tap: str,
    stream: str | None,
    prop: str | None,
    exclude: bool,
    remove: bool,
    listing: bool,
    show_all: bool,
    refresh: bool,
    output: str,
) -> None:
    """Add a select rule STREAM[.PROPERTY] to TAP, or list what its rules select.

    STREAM and PROPERTY are shell-style globs; a nested property is written with dots
    (address.city), and STREAM.PROPERTY in one argument works too. Without PROPERTY the
    rule covers the whole stream. Primary and
    replication keys the tap marks automatic are always extracted.

    --list runs the tap's discovery (or reads the catalog cached by the last one with the
    same config) and shows every stream and property as selected, automatic, excluded,
    unsupported or not selected.

    \b
    Examples:
      elt select tap-csv orders
      elt select tap-csv customers email --exclude
      elt select tap-http 'users' 'address.*'
      elt select tap-csv --list --all
    """
    if listing:
        if stream is not None or exclude or remove:
            raise UsageError("--list takes only TAP (and --all, --refresh, --format)")
        _list(session, tap, show_all=show_all, refresh=refresh, output=output)
        return
    if stream is None:
        raise UsageError("name a STREAM to select, or pass --list", hint="elt select TAP STREAM")
    body = stream if prop is None and "." in stream else f"{stream}.{prop or '*'}"
    rule = f"{'!' if exclude else ''}{body}"
    change = change_selection(session.root(), tap, rule, remove=remove)
    if not change.changed:
        state = "not present" if remove else "already present"
        click.echo(f"{change.plugin}: rule {change.rule} {state}; nothing changed", err=True)
    else:
        verb = "removed" if remove else "added"
        click.echo(f"{change.plugin}: {verb} {change.rule}", err=True)
    click.echo("\n".join(change.rules) if change.rules else "(no rules: the tap's defaults)")


def _list(session: Session, tap: str, *, show_all: bool, refresh: bool, output: str) -> None:
    project = session.project()
    plugin = project.plugin(tap)
    catalog, cached = discover_catalog(
        project, plugin, environment=session.environment, refresh=refresh
    )
    lines = explain_selection(catalog, plugin.select)
    shown = [line for line in lines if show_all or line.status not in ("not selected", "excluded")]
    if output == "json":
        document = {
            "plugin": plugin.name,
            "rules": list(plugin.select),
            "from_cache": cached,
            "items": [
                {"stream": line.stream, "property": ".".join(line.path) or None,
                 "status": line.status}
                for line in shown
            ],
        }  # fmt: skip
        click.echo(json_text(document))
        return
    source = "cached catalog" if cached else "discovery"
    rules = ", ".join(plugin.select) or "none (the tap's defaults)"
    click.echo(f"{plugin.name}: rules {rules}; from the {source}", err=True)
    click.echo(table(["name", "status"], [[line.name, line.status] for line in shown]))
