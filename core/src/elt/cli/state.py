"""``elt state``: look at, change, copy, export and import the bookmarks that runs keep."""

from __future__ import annotations

import json
import sys
from typing import IO

import click

from elt.api import States
from elt.cli.session import Session, pass_session
from elt.errors import UsageError
from elt.state import parse_export, parse_state

__all__ = ["state"]

_FORCE_HELP = "Change it even while a run holds the id (its lock is taken, with a warning)."


@click.group()
def state() -> None:
    """List, show, change, copy, export and import the state bookmarks of pipelines.

    A run keeps its bookmark under a state id, by default <environment>:<tap>-to-<target>
    (default:... when no environment is active), in the project's state_backend
    (.elt/state unless plugins.yml names another). Changing a state while a run of the
    same id is going fails rather than race with it, unless --force.

    \b
    Examples:
      elt state list
      elt state get dev:tap-csv-to-target-postgres
      elt state clear dev:tap-csv-to-target-postgres   # the next run starts from scratch
      elt state export > states.json                   # every bookmark, one JSON document
    """


def _states(session: Session, command: str) -> States:
    return States(session.project(), holder=f"`elt state {command}`")


@state.command("list")
@click.option("--pattern", default="*", show_default=True, help="Only ids matching this glob.")
@pass_session
def list_states(session: Session, pattern: str) -> None:
    """Print the state ids that have a stored bookmark, one per line.

    \b
    Examples:
      elt state list
      elt state list --pattern 'prod:*'
    """
    for state_id in _states(session, "list").list(pattern):
        click.echo(state_id)


@state.command("get")
@click.argument("state_id")
@pass_session
def get_state(session: Session, state_id: str) -> None:
    """Print the stored state of STATE_ID as JSON.

    \b
    Examples:
      elt state get dev:tap-csv-to-target-postgres
      elt state get dev:tap-csv-to-target-postgres > state.json
    """
    value = _states(session, "get").get(state_id)
    if value is None:
        raise UsageError(
            f"no state stored for {state_id!r}", hint="`elt state list` shows the ids that have one"
        )
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


@state.command("set")
@click.argument("state_id")
@click.argument("value", metavar="JSON")
@click.option("--force", is_flag=True, help=_FORCE_HELP)
@pass_session
def set_state(session: Session, state_id: str, value: str, force: bool) -> None:
    """Replace the stored state of STATE_ID with JSON (a Singer state; - reads stdin).

    The value must be a JSON object; its bookmarks, if any, an object with one object per
    stream. The next run of the pipeline starts from this bookmark.

    \b
    Examples:
      elt state set dev:tap-csv-to-target-postgres '{"bookmarks": {"users": {"id": 100}}}'
      elt state get dev:a-to-b | elt state set dev:a-to-c -
    """
    document = parse_state(sys.stdin.read() if value == "-" else value)
    _states(session, "set").set(state_id, document, force=force)
    click.echo(f"stored state for {state_id}")


@state.command("clear")
@click.argument("state_id")
@click.option("--force", is_flag=True, help=_FORCE_HELP)
@pass_session
def clear_state(session: Session, state_id: str, force: bool) -> None:
    """Forget the stored state of STATE_ID; its next run extracts everything.

    \b
    Examples:
      elt state clear dev:tap-csv-to-target-postgres
    """
    cleared = _states(session, "clear").clear(state_id, force=force)
    if cleared:
        click.echo(f"cleared state for {state_id}")
    else:
        click.echo(f"no state stored for {state_id}; nothing to clear", err=True)


@state.command("copy")
@click.argument("source")
@click.argument("destination")
@click.option("--force", is_flag=True, help=_FORCE_HELP)
@pass_session
def copy(session: Session, source: str, destination: str, force: bool) -> None:
    """Store the state of SOURCE under DESTINATION too (replacing what it had).

    \b
    Examples:
      elt state copy dev:tap-csv-to-target-postgres prod:tap-csv-to-target-postgres
    """
    _states(session, "copy").copy(source, destination, force=force)
    click.echo(f"copied state of {source} to {destination}")


@state.command("export")
@click.argument("pattern", default="*")
@pass_session
def export(session: Session, pattern: str) -> None:
    """Print every stored state whose id matches PATTERN as one JSON object, id to state.

    `elt state import` reads it back, into this project or one with another state_backend.

    \b
    Examples:
      elt state export > states.json
      elt state export 'prod:*' > prod-states.json
    """
    states = _states(session, "export").export(pattern)
    click.echo(json.dumps(states, indent=2, ensure_ascii=False))


@state.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--force", is_flag=True, help=_FORCE_HELP)
@pass_session
def import_(session: Session, file: IO[str], force: bool) -> None:
    """Store every state in FILE (as `elt state export` writes it; - reads stdin).

    Every id and state is checked, and every id's lock taken, before anything is written:
    a file with one bad entry changes nothing. Ids not in the file keep their state.

    \b
    Examples:
      elt state import states.json
    """
    states = parse_export(file.read(), source=_name(file))
    written = _states(session, "import").import_(states, force=force)
    click.echo(f"imported {len(written)} state{'' if len(written) == 1 else 's'}")


def _name(file: IO[str]) -> str:
    name = getattr(file, "name", "-")
    return "stdin" if name in ("-", "<stdin>") else str(name)
