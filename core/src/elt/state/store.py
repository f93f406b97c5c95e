"""The state store seam: where a pipeline's bookmark lives between runs.

A run needs four things of a store: read the last committed state, replace it atomically
(a reader sees the old state or the new one, never a mix), forget it, and hold a lock on
one state id for as long as the run lasts, so two runs of one pipeline cannot interleave
their bookmarks. :class:`StateStore` is that contract. :func:`open_state_store` is where a
project's ``state_backend`` chooses the implementation, by the URL's scheme, from
:data:`BACKENDS`: one :class:`BackendSpec` per kind of URL, which says the URL's form, the
``state_backend_settings`` it takes (any other is an error rather than silently ignored),
how to open the store, and the ``elt-core`` extra that holds its client. Unset, the state
stays in files in ``<project>/.elt/state`` (flock).

Adding a backend is one entry there, its module (a :class:`~elt.state.objects.Bucket` for
an object store), its settings in plugins.yml's model
(:class:`elt.project.model.StateBackendSettings`) and the README's table of backends, which
a test holds to this table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from elt.errors import ConfigError
from elt.state.azure import AzureBucket
from elt.state.gcs import GcsBucket
from elt.state.lease import DEFAULT_LEASE_SECONDS
from elt.state.local import LocalStateStore
from elt.state.objects import ObjectStateStore
from elt.state.postgres import DEFAULT_SCHEMA, PostgresStateStore
from elt.state.s3 import S3Bucket
from elt.state.urls import WHERE, redact_url

__all__ = ["BACKENDS", "BACKEND_SETTINGS", "BackendSpec", "StateStore", "open_state_store"]


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


# (project root, state_backend URL, its checked settings) -> the store
Opener = Callable[[Path, str, Mapping[str, Any]], StateStore]


@dataclass(frozen=True, slots=True)
class BackendSpec:
    """One kind of ``state_backend`` URL."""

    scheme: str  # the URL's scheme, lower case
    form: str  # the URL's form, for messages: s3://BUCKET/PREFIX
    settings: frozenset[str]  # the state_backend_settings it takes
    open: Opener
    extra: str | None = None  # the elt-core extra holding its client (none: nothing to install)
    client: str | None = None  # the client distribution, named when it is not installed
    aliases: tuple[str, ...] = ()  # other schemes meaning the same


def _lease(settings: Mapping[str, Any]) -> float:
    return float(settings.get("lease_seconds") or DEFAULT_LEASE_SECONDS)


def _open_file(root: Path, url: str, settings: Mapping[str, Any]) -> StateStore:
    return LocalStateStore(root / url[len("file://") :])


def _open_s3(root: Path, url: str, settings: Mapping[str, Any]) -> StateStore:
    bucket = S3Bucket(url, endpoint_url=settings.get("endpoint_url"), region=settings.get("region"))
    return ObjectStateStore(bucket, lease_seconds=_lease(settings))


def _open_gcs(root: Path, url: str, settings: Mapping[str, Any]) -> StateStore:
    bucket = GcsBucket(url, endpoint_url=settings.get("endpoint_url"))
    return ObjectStateStore(bucket, lease_seconds=_lease(settings))


def _open_azure(root: Path, url: str, settings: Mapping[str, Any]) -> StateStore:
    bucket = AzureBucket(url, connection_string=settings.get("connection_string"))
    return ObjectStateStore(bucket, lease_seconds=_lease(settings))


def _open_postgres(root: Path, url: str, settings: Mapping[str, Any]) -> StateStore:
    schema = settings.get("schema") or DEFAULT_SCHEMA
    return PostgresStateStore(url, schema=schema, lease_seconds=_lease(settings))


_LEASED = frozenset({"lease_seconds"})

#: every kind of state_backend URL, by scheme; ``file`` also stands for an unset backend
BACKENDS: Final[dict[str, BackendSpec]] = {
    spec.scheme: spec
    for spec in (
        BackendSpec("file", "file://PATH", frozenset(), _open_file),
        BackendSpec(
            "s3",
            "s3://BUCKET/PREFIX",
            _LEASED | {"endpoint_url", "region"},
            _open_s3,
            extra="s3",
            client="boto3",
        ),
        BackendSpec(
            "gs",
            "gs://BUCKET/PREFIX",
            _LEASED | {"endpoint_url"},
            _open_gcs,
            extra="gcs",
            client="google-cloud-storage",
        ),
        BackendSpec(
            "azure",
            "azure://CONTAINER/PREFIX",
            _LEASED | {"connection_string"},
            _open_azure,
            extra="azure",
            client="azure-storage-blob",
        ),
        BackendSpec(
            "postgresql",
            "postgresql://USER@HOST/DATABASE",
            _LEASED | {"schema"},
            _open_postgres,
            extra="postgres",
            client="psycopg",
            aliases=("postgres",),
        ),
    )
}
#: the settings each URL scheme takes, besides none at all
BACKEND_SETTINGS: Final = {scheme: spec.settings for scheme, spec in BACKENDS.items()}


def open_state_store(
    root: Path, backend: str | None = None, settings: Mapping[str, Any] | None = None
) -> StateStore:
    """The state store a project's ``state_backend`` names; its ``.elt/state`` if none.

    Raises ConfigError for a URL of no known form, a setting the backend does not take, or
    a client library that is not installed.
    """
    settings = dict(settings or {})
    if not backend:
        _check_settings(BACKENDS["file"], settings)
        return LocalStateStore.in_project(root)
    spec = _spec_of(backend)
    _check_settings(spec, settings)
    try:
        return spec.open(root, backend, settings)
    except ImportError:  # the backend imports its client when it opens
        raise ConfigError(
            f"state_backend {spec.scheme}:// needs {spec.client}, which is not installed",
            where=WHERE,
            hint=f"pip install 'elt-core[{spec.extra}]'",
        ) from None


def _spec_of(backend: str) -> BackendSpec:
    scheme = backend.partition("://")[0].lower() if "://" in backend else ""
    for spec in BACKENDS.values():
        if scheme == spec.scheme or scheme in spec.aliases:
            return spec
    remote = ", ".join(spec.form for spec in BACKENDS.values() if spec.scheme != "file")
    raise ConfigError(
        f"state_backend {redact_url(backend)!r} is not a URL elt can keep state at",
        where=WHERE,
        hint=f"Use {remote}, or {BACKENDS['file'].form}; leave it unset for .elt/state",
    )


def _check_settings(spec: BackendSpec, settings: Mapping[str, Any]) -> None:
    unused = sorted(set(settings) - spec.settings)
    if unused:
        takes = ", ".join(sorted(spec.settings)) or "none"
        name = "the local store" if spec.scheme == "file" else f"a {spec.scheme}:// state_backend"
        raise ConfigError(
            f"state_backend_settings {', '.join(unused)} do not apply to {name}",
            where="plugins.yml: state_backend_settings",
            hint=f"It takes: {takes}",
        )
