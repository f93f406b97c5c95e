"""Moving bookmarks around: copy one id to another, export many as one document, import it.

An export is one JSON object, state id to state, in id order, so it diffs well, moves a
project's bookmarks from one backend to another (``export`` with the old ``state_backend``,
``import`` with the new one), and backs them up before a risky change. Import checks every
id and every state before it writes any, and holds the locks of all the ids it writes, so
a file with one bad entry, or one id in use by a run, changes nothing.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from elt.errors import UsageError
from elt.state.document import check_state, load_json
from elt.state.ids import check_state_id
from elt.state.store import StateStore

__all__ = ["copy_state", "export_states", "import_states", "parse_export"]


def export_states(store: StateStore, pattern: str = "*") -> dict[str, dict[str, Any]]:
    """Every stored state whose id matches the glob ``pattern``, by id."""
    states = {}
    for state_id in store.list(pattern):
        state = store.get(state_id)
        if state is not None:  # cleared between list and get
            states[state_id] = state
    return states


def parse_export(text: str, *, source: str) -> dict[str, dict[str, Any]]:
    """The states of an export document, each id and state checked; a UsageError if not."""
    document = load_json(text, what=source)
    if not isinstance(document, dict):
        raise UsageError(
            f"{source} must be a JSON object of state id to state, as `elt state export` writes it"
        )
    for state_id, state in document.items():
        check_state_id(state_id)
        check_state(state, what=f"the state of {state_id!r} in {source}")
    return document


def import_states(
    store: StateStore, states: dict[str, dict[str, Any]], *, holder: str, force: bool = False
) -> tuple[str, ...]:
    """Store every state of ``states`` (from :func:`parse_export`); the ids written.

    The locks of all ids are taken before the first write, so an id in use makes the
    import change nothing.
    """
    with ExitStack() as locks:
        for state_id in states:
            locks.enter_context(store.lock(state_id, holder=holder, force=force))
        for state_id, state in states.items():
            store.set(state_id, state)
    return tuple(states)


def copy_state(
    store: StateStore, source: str, destination: str, *, holder: str, force: bool = False
) -> dict[str, Any]:
    """Store the state of ``source`` under ``destination`` too; the state copied."""
    state = store.get(check_state_id(source))
    if state is None:
        raise UsageError(
            f"no state stored for {source!r}", hint="`elt state list` shows the ids that have one"
        )
    with store.lock(check_state_id(destination), holder=holder, force=force):
        store.set(destination, state)
    return state
