"""``elt state``: look at and change the bookmarks that runs keep."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from elt.cli.session import Session, pass_session
from elt.errors import UsageError
from elt.state import open_state_store

__all__ = ["state"]


@click.group()
def state() -> None:
    """List, show, set and clear the state bookmarks of pipelines.

    A run keeps its bookmark under a state id, by default <environment>:<tap>-to-<target>
    (default:... when no environment is active). Changing a state while a run of the same
    id is going fails rather than race with it.

    \b
    Examples:
      elt state list
      elt state get dev:tap-csv-to-target-postgres
      elt state clear dev:tap-csv-to-target-postgres   # the next run starts from scratch
    """


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
    for state_id in open_state_store(session.root()).list(pattern):
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
    value = open_state_store(session.root()).get(state_id)
    if value is None:
        raise UsageError(
            f"no state stored for {state_id!r}", hint="`elt state list` shows the ids that have one"
        )
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


@state.command("set")
@click.argument("state_id")
@click.argument("value", metavar="JSON")
@pass_session
def set_state(session: Session, state_id: str, value: str) -> None:
    """Replace the stored state of STATE_ID with JSON (a JSON object; - reads stdin).

    The next run of the pipeline starts from this bookmark.

    \b
    Examples:
      elt state set dev:tap-csv-to-target-postgres '{"bookmarks": {"users": {"id": 100}}}'
      elt state get dev:a-to-b | elt state set dev:a-to-c -
    """
    document = _parse_state(sys.stdin.read() if value == "-" else value)
    store = open_state_store(session.root())
    with store.lock(state_id, holder=f"`elt state set` (pid {os.getpid()})"):
        store.set(state_id, document)
    click.echo(f"stored state for {state_id}")


@state.command("clear")
@click.argument("state_id")
@pass_session
def clear_state(session: Session, state_id: str) -> None:
    """Forget the stored state of STATE_ID; its next run extracts everything.

    \b
    Examples:
      elt state clear dev:tap-csv-to-target-postgres
    """
    store = open_state_store(session.root())
    with store.lock(state_id, holder=f"`elt state clear` (pid {os.getpid()})"):
        cleared = store.clear(state_id)
    if cleared:
        click.echo(f"cleared state for {state_id}")
    else:
        click.echo(f"no state stored for {state_id}; nothing to clear", err=True)


def _parse_state(text: str) -> dict[str, Any]:
    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON value")

    try:
        document = json.loads(text, parse_constant=refuse)
    except ValueError as error:
        raise UsageError(f"the state is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise UsageError(
            "the state must be a JSON object",
            hint='For example \'{"bookmarks": {"users": {"updated_at": "2024-01-01"}}}\'',
        )
    return document
