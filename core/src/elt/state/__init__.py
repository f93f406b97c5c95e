"""State stores: where each pipeline's bookmark is kept between runs, and its lock.

A bookmark advances only when the target has committed the data it covers; the store's job
is to keep the last such bookmark safe (atomic, durable writes) and to make sure only one
run of a pipeline moves it at a time (a lock held for the whole run).
"""

from __future__ import annotations

from elt.state.ids import (
    check_state_id,
    default_state_id,
    state_id_filename,
    state_id_from_filename,
)
from elt.state.local import STATE_DIR, LocalStateStore
from elt.state.store import StateStore, open_state_store

__all__ = [
    "STATE_DIR",
    "LocalStateStore",
    "StateStore",
    "check_state_id",
    "default_state_id",
    "open_state_store",
    "state_id_filename",
    "state_id_from_filename",
]
