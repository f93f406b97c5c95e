"""A state document: what a bookmark must look like, on the way in and on the way back.

Two directions, two kinds of error. A state a person hands to ``elt state set`` or ``import``
is checked against the Singer shape before anything is written (a UsageError: the command
line is wrong). A state read back from a store that is not a JSON object means the store was
changed behind elt's back (a ProjectError naming where it lives and how to get rid of it).

Every backend stores the same bytes: compact JSON, UTF-8, big integers exact, NaN refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from elt.errors import ProjectError, UsageError

__all__ = ["check_state", "decode_stored", "encode_state", "load_json", "parse_state"]

_EXAMPLE = '\'{"bookmarks": {"users": {"updated_at": "2024-01-01"}}}\''


def load_json(text: str, *, what: str) -> Any:
    """The JSON value in ``text`` (NaN and Infinity refused); a UsageError naming ``what``."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except ValueError as error:
        raise UsageError(f"{what} is not valid JSON: {error}") from None


def parse_state(text: str, *, what: str = "the state") -> dict[str, Any]:
    """The state in ``text``, checked by :func:`check_state`; a UsageError if it is wrong."""
    return check_state(load_json(text, what=what), what=what)


def check_state(value: object, *, what: str = "the state") -> dict[str, Any]:
    """``value`` if it has the shape of a Singer state; a UsageError saying what is off.

    The rules are the ones a tap relies on when it reads ``--state``: an object; its
    ``bookmarks``, if any, an object of objects (one per stream); ``currently_syncing`` a
    stream name or null. Other keys are the tap's business and kept as they are.
    """
    if not isinstance(value, dict):
        raise UsageError(f"{what} must be a JSON object", hint=f"For example {_EXAMPLE}")
    if set(value) == {"singer_state"}:
        raise UsageError(
            f"{what} is wrapped in singer_state, as Meltano exports it",
            hint="Give the value of singer_state itself",
        )
    bookmarks = value.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        raise UsageError(f"{what}: bookmarks must be an object keyed by stream")
    for stream, bookmark in bookmarks.items():
        if not isinstance(bookmark, dict):
            raise UsageError(f"{what}: the bookmark of stream {stream!r} must be an object")
    syncing = value.get("currently_syncing")
    if syncing is not None and not isinstance(syncing, str):
        raise UsageError(f"{what}: currently_syncing must be a stream name or null")
    return value


def encode_state(state: Mapping[str, Any]) -> bytes:
    """The stored form: compact JSON; ValueError for NaN or infinity, which JSON lacks."""
    return json.dumps(state, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def decode_stored(data: bytes, *, state_id: str, where: str) -> dict[str, Any]:
    """The state read back from ``where``; a ProjectError if it is not a JSON object."""
    hint = f"Fix it, or forget it with `elt state clear '{state_id}'`"
    try:
        state = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except ValueError as error:
        raise ProjectError(
            f"the stored state of {state_id!r} is not valid JSON ({error})", where=where, hint=hint
        ) from None
    if not isinstance(state, dict):
        raise ProjectError(
            f"the stored state of {state_id!r} is not a JSON object", where=where, hint=hint
        )
    return state


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")
