"""``elt remove``: take a plugin out of the project, with its virtualenv."""

from __future__ import annotations

import contextlib
import os

import click

from elt.cli.session import Session, pass_session
from elt.install import uninstall
from elt.project import Plugin, PluginKind, Project, load_project, remove_plugin
from elt.run.runner import project_state_store
from elt.state import default_state_id

__all__ = ["remove"]


@click.command()
@click.argument("kind", type=click.Choice([kind.value for kind in PluginKind]))
@click.argument("name")
@click.option(
    "--state",
    "with_state",
    is_flag=True,
    help="Also clear the stored state of its pipelines (default state ids "
    "ENV:NAME-to-TARGET of a tap, ENV:TAP-to-NAME of a target).",
)
@pass_session
def remove(session: Session, *, kind: str, name: str, with_state: bool) -> None:
    """Remove a tap, target or mapper from plugins.yml, and its virtualenv.

    Its entry goes, with its overrides in every environment; the rest of the file, comments
    included, stays as it was. Refused while another plugin inherits from it or a job or
    schedule runs it. The bookmarks of its pipelines stay unless --state, so a plugin added
    back continues where it stopped.

    \b
    Examples:
      elt remove target target-jsonl
      elt remove tap tap-csv --state
    """
    root = session.root()
    before = load_project(root, interpolate=False)
    plugin = before.plugin(name)
    with contextlib.ExitStack() as held:
        store, states = None, []
        if with_state and plugin.kind is not PluginKind.MAPPER:
            # every lock first: a run in progress stops the command before anything changed
            project = session.project()
            store = held.enter_context(contextlib.closing(project_state_store(project)))
            states = sorted(_state_ids(project, plugin) & set(store.list()))
            for state_id in states:
                held.enter_context(store.lock(state_id, holder=f"`elt remove` (pid {os.getpid()})"))
        removed = remove_plugin(root, PluginKind(kind), name)
        click.echo(f"removed {kind} {name} from {removed.file} ({removed.path})")
        for environment in removed.environments:
            click.echo(f"  with its overrides in environment {environment}")
        for state_id in states:
            assert store is not None
            store.clear(state_id)
            click.echo(f"cleared state for {state_id}")
    venv = uninstall(before, plugin)
    if venv is not None:
        click.echo(f"removed its virtualenv {venv}")
    if with_state and plugin.kind is PluginKind.MAPPER:
        click.echo("a mapper has no state of its own; nothing to clear", err=True)


def _state_ids(project: Project, plugin: Plugin) -> set[str]:
    """The default state ids of every pipeline ``plugin`` can be the tap or target of."""
    tap = plugin.kind is PluginKind.TAP
    others = [
        p.name for p in project.plugins if p.kind is (PluginKind.TARGET if tap else PluginKind.TAP)
    ]
    pairs = [(plugin.name, other) if tap else (other, plugin.name) for other in others]
    environments = [None, *(e.name for e in project.manifest.environments)]
    return {default_state_id(e, source, sink) for e in environments for source, sink in pairs}
