"""Where lake files go: the one interface target-files, -s3, -gcs and -azure implement.

The shared lake writer (:mod:`elt.sdk.lake`) does everything but the upload — format,
compression, rotation, layout, manifest — and hands finished bytes to an
:class:`ObjectStore`. Each target contributes only its settings and a store built on its
client (boto3, google-cloud-storage, azure-storage-blob, or the local file system).

The commit protocol rests on one property every store must have: **an object becomes
visible under its key only when** :meth:`Upload.commit` **returns, and then complete**.
S3 completes a multipart upload, GCS finishes a resumable session, Azure commits its block
list, the local folder renames a temp file (after fsync). Until then a reader listing the
prefix sees nothing, and :meth:`Upload.abort` leaves nothing behind that looks finished.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["ObjectStore", "Upload"]


class Upload(Protocol):
    """One object being written, streamed in parts so memory stays bounded.

    The writer calls :meth:`write` with compressed bytes as it produces them (any size);
    the store buffers up to its own part size (S3 ≥ 5 MiB, GCS a multiple of 256 KiB,
    Azure a block) and sends each part as it fills. Errors name
    :meth:`ObjectStore.describe` of the key, never a credential, and are sorted as
    :mod:`elt.cloudfailures` sorts them: :class:`elt.errors.ServiceError` when a retry may
    help, :class:`elt.errors.AccessError` when a person must act.
    """

    def write(self, data: bytes) -> None:
        """Append bytes; may send a part."""
        ...

    def commit(self) -> int:
        """Send what is buffered and make the object visible, complete; return its size."""
        ...

    def abort(self) -> None:
        """Discard everything written (idempotent; safe after a failed write or commit)."""
        ...


class ObjectStore(Protocol):
    """A bucket/container/folder the writer puts its keys in.

    Keys are relative to the store's root and already carry the lake's ``prefix`` setting
    (``lake/raw/orders/dt=…/part-….parquet``, ``lake/raw/_manifests/<run_id>.json``), with
    stream names sanitised (:mod:`elt.sdk.lake.layout`); a store adds no prefix of its own
    and may refuse (``ConfigError``) a key with ``..`` or a leading ``/`` as a last check.
    """

    def describe(self, key: str) -> str:
        """A URL for messages and manifests (``s3://bucket/key``), without secrets; ``""``
        names the store's root (``s3://bucket/``)."""
        ...

    def check(self) -> None:
        """Fail early, before any record is read, if the bucket is missing or the
        credentials are refused (:class:`~elt.errors.AccessError`) or the service is
        unreachable (:class:`~elt.errors.ServiceError`)."""
        ...

    def open(self, key: str) -> Upload:
        """Start writing the object at ``key`` (relative to the store's root)."""
        ...

    def put(self, key: str, data: bytes) -> None:
        """Write a small object (a manifest) whole and atomically."""
        ...

    def read(self, key: str) -> bytes:
        """Read an object whole (tests and manifests read back; not on the load path)."""
        ...

    def list(self, prefix: str = "") -> list[str]:
        """Keys under ``prefix``, sorted (committed objects only)."""
        ...
