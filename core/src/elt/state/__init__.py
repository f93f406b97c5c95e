"""State stores: where each pipeline's bookmark is kept between runs, and its lock.

A bookmark advances only when the target has committed the data it covers; the store's job
is to keep the last such bookmark safe (atomic, durable writes) and to make sure only one
run of a pipeline moves it at a time (a lock held for the whole run, leased on remote
backends so that a dead run's lock expires). :func:`open_state_store` picks the backend a
project's ``state_backend`` names from :data:`BACKENDS`, one spec per kind of URL; see
:mod:`elt.state.store`.
"""

from __future__ import annotations

from elt.state.document import check_state, parse_state
from elt.state.ids import (
    check_state_id,
    default_state_id,
    state_id_filename,
    state_id_from_filename,
)
from elt.state.lease import DEFAULT_LEASE_SECONDS, LockRecord
from elt.state.local import STATE_DIR, LocalStateStore
from elt.state.objects import ObjectStateStore
from elt.state.postgres import PostgresStateStore
from elt.state.store import (
    BACKEND_SETTINGS,
    BACKENDS,
    BackendSpec,
    StateStore,
    open_state_store,
)
from elt.state.transfer import copy_state, export_states, import_states, parse_export
from elt.state.urls import redact_url

__all__ = [
    "BACKENDS",
    "BACKEND_SETTINGS",
    "DEFAULT_LEASE_SECONDS",
    "STATE_DIR",
    "BackendSpec",
    "LocalStateStore",
    "LockRecord",
    "ObjectStateStore",
    "PostgresStateStore",
    "StateStore",
    "check_state",
    "check_state_id",
    "copy_state",
    "default_state_id",
    "export_states",
    "import_states",
    "open_state_store",
    "parse_export",
    "parse_state",
    "redact_url",
    "state_id_filename",
    "state_id_from_filename",
]
