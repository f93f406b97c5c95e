"""State ids: what names a pipeline's bookmark, and how an id becomes a file name.

The default id is ``<environment>:<tap>-to-<target>`` (``default`` when no environment is
active), so dev and prod runs of one pipeline never share a bookmark. Ids contain ``:`` and
may contain ``/``, so a file name is the id percent-encoded (``dev%3Atap-csv-to-target-x``):
reversible, so ``elt state list`` shows the ids themselves, and safe on every file system
(no separators, no ``..``, never hidden).
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from elt.errors import UsageError

__all__ = ["check_state_id", "default_state_id", "state_id_filename", "state_id_from_filename"]

DEFAULT_ENVIRONMENT = "default"
MAX_STATE_ID_LENGTH = 200


def default_state_id(environment: str | None, tap: str, target: str) -> str:
    """``dev:tap-csv-to-target-postgres``; ``default:...`` when no environment is active."""
    return f"{environment or DEFAULT_ENVIRONMENT}:{tap}-to-{target}"


def check_state_id(state_id: str) -> str:
    """Return ``state_id`` if it can name a bookmark; raise UsageError if not.

    The length limit keeps the encoded file name under the 255 bytes file systems allow.
    """
    if not state_id or not state_id.strip():
        raise UsageError("a state id must not be empty", hint="For example dev:tap-csv-to-target-x")
    if any(ord(c) < 32 or ord(c) == 127 for c in state_id):
        raise UsageError(f"state id {state_id!r} contains a control character")
    if len(state_id) > MAX_STATE_ID_LENGTH:
        raise UsageError(
            f"state id is {len(state_id)} characters long; at most {MAX_STATE_ID_LENGTH} "
            "are allowed",
            hint="Choose a shorter --state-id",
        )
    return state_id


def state_id_filename(state_id: str) -> str:
    """The id as one file name component: percent-encoded, with a leading ``.`` encoded too."""
    name = quote(check_state_id(state_id), safe="")
    return "%2E" + name[1:] if name.startswith(".") else name


def state_id_from_filename(name: str) -> str:
    """The inverse of :func:`state_id_filename`."""
    return unquote(name)
