"""The state store seam: where a pipeline's bookmark lives between runs.

A run needs four things of a store: read the last committed state, replace it atomically
(a reader sees the old state or the new one, never a mix), forget it, and hold a lock on
one state id for as long as the run lasts, so two runs of one pipeline cannot interleave
their bookmarks. :class:`StateStore` is that contract. :func:`open_state_store` is where a
project's ``state_backend`` chooses the implementation:

=============================  ==============================================  =========
``state_backend``              store                                           extra
=============================  ==============================================  =========
unset                          files in ``<project>/.elt/state`` (flock)       --
``file://PATH``                files in PATH (relative to the project)         --
``s3://BUCKET/PREFIX``         :mod:`elt.state.s3` (leased lock object)        ``s3``
``gs://BUCKET/PREFIX``         :mod:`elt.state.gcs` (leased lock object)       ``gcs``
``azure://CONTAINER/PREFIX``   :mod:`elt.state.azure` (leased lock blob)       ``azure``
``postgresql://...``           :mod:`elt.state.postgres` (leased lock row)     ``postgres``
=============================  ==============================================  =========

``settings`` are ``state_backend_settings`` from plugins.yml; a setting the chosen backend
does not use is an error rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from elt.errors import ConfigError
from elt.state.azure import AzureBucket
from elt.state.gcs import GcsBucket
from elt.state.lease import DEFAULT_LEASE_SECONDS
from elt.state.local import LocalStateStore
from elt.state.objects import ObjectStateStore
from elt.state.postgres import DEFAULT_SCHEMA, PostgresStateStore
from elt.state.s3 import S3Bucket
from elt.state.urls import WHERE, redact_url

__all__ = ["BACKEND_SETTINGS", "StateStore", "open_state_store"]

# the settings each URL scheme takes, besides none at all
BACKEND_SETTINGS: dict[str, frozenset[str]] = {
    "file": frozenset(),
    "s3": frozenset({"lease_seconds", "endpoint_url", "region"}),
    "gs": frozenset({"lease_seconds", "endpoint_url"}),
    "azure": frozenset({"lease_seconds", "connection_string"}),
    "postgresql": frozenset({"lease_seconds", "schema"}),
}
_ALIASES = {"postgres": "postgresql"}
_FORMS = "s3://BUCKET/PREFIX, gs://BUCKET/PREFIX, azure://CONTAINER/PREFIX, postgresql://..."


class StateStore(Protocol):
    """Where bookmarks are kept, by state id."""

    def get(self, state_id: str) -> dict[str, Any] | None:
        """The stored state, or None when there is none."""
        ...

    def set(self, state_id: str, state: Mapping[str, Any]) -> None:
        """Replace the stored state atomically and durably before returning."""
        ...

    def clear(self, state_id: str) -> bool:
        """Forget the state; False when there was none."""
        ...

    def list(self, pattern: str = "*") -> tuple[str, ...]:
        """The ids with a stored state that match the glob ``pattern``, sorted."""
        ...

    def lock(
        self, state_id: str, *, holder: str, force: bool = False
    ) -> AbstractContextManager[None]:
        """Hold the id exclusively; a UsageError naming the current holder if it is taken.

        ``holder`` says who holds it (``run 20250101T120000Z-1a2b3c (pid 42)``), for the
        error message of whoever tries next. The lock must not outlive a crashed holder.
        ``force`` takes it even from a live holder, with a warning.
        """
        ...

    def close(self) -> None:
        """Release connections; the store is not used afterwards."""
        ...


def open_state_store(
    root: Path, backend: str | None = None, settings: Mapping[str, Any] | None = None
) -> StateStore:
    """The state store a project's ``state_backend`` names; its ``.elt/state`` if none.

    Raises ConfigError for a URL of no known form, a setting the backend does not take, or
    a client library that is not installed.
    """
    settings = dict(settings or {})
    if not backend:
        _check_settings("file", settings)
        return LocalStateStore.in_project(root)
    scheme = backend.partition("://")[0].lower() if "://" in backend else ""
    scheme = _ALIASES.get(scheme, scheme)
    if scheme not in BACKEND_SETTINGS:
        raise ConfigError(
            f"state_backend {redact_url(backend)!r} is not a URL elt can keep state at",
            where=WHERE,
            hint=f"Use {_FORMS}, or file://PATH; leave it unset for .elt/state",
        )
    _check_settings(scheme, settings)
    lease = float(settings.get("lease_seconds") or DEFAULT_LEASE_SECONDS)
    if scheme == "file":
        return LocalStateStore(root / backend[len("file://") :])
    if scheme == "postgresql":
        schema = settings.get("schema") or DEFAULT_SCHEMA
        return PostgresStateStore(backend, schema=schema, lease_seconds=lease)
    if scheme == "s3":
        s3 = S3Bucket(
            backend, endpoint_url=settings.get("endpoint_url"), region=settings.get("region")
        )
        return ObjectStateStore(s3, lease_seconds=lease)
    if scheme == "gs":
        gcs = GcsBucket(backend, endpoint_url=settings.get("endpoint_url"))
        return ObjectStateStore(gcs, lease_seconds=lease)
    azure = AzureBucket(backend, connection_string=settings.get("connection_string"))
    return ObjectStateStore(azure, lease_seconds=lease)


def _check_settings(scheme: str, settings: Mapping[str, Any]) -> None:
    unused = sorted(set(settings) - BACKEND_SETTINGS[scheme])
    if unused:
        takes = ", ".join(sorted(BACKEND_SETTINGS[scheme])) or "none"
        name = "the local store" if scheme == "file" else f"a {scheme}:// state_backend"
        raise ConfigError(
            f"state_backend_settings {', '.join(unused)} do not apply to {name}",
            where="plugins.yml: state_backend_settings",
            hint=f"It takes: {takes}",
        )
