"""An Azure Blob Storage container as the lake writer's :class:`ObjectStore`.

An object streams up as staged blocks: each block of ``block_size`` is sent with
``stage_block`` as it fills, and :meth:`AzureUpload.commit` commits the block list — the one
moment Azure makes the blob visible, whole. Uncommitted blocks are invisible to listings and
reads, and Azure discards them after a week, so :meth:`AzureUpload.abort` has nothing to
delete (deleting the blob would remove an older committed version). An object smaller than
one block is sent with one ``Put Blob`` on commit, which is atomic too.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from typing import TypeVar
from urllib.parse import urlsplit

from azure.storage.blob import BlobBlock, ContainerClient

from elt.sdk.lake.objectstore import (
    PartBuffer,
    described_key,
    guarded_call,
    listing_prefix,
    object_key,
    relative_key,
)
from target_azure.failures import explain

__all__ = ["DEFAULT_BLOCK_SIZE", "AzureStore", "AzureUpload"]

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024
"""At Azure's limit of 50,000 blocks a blob may reach 400 GB."""


class AzureStore:
    """Blobs under ``prefix`` in the container ``container`` is a client of.

    ``secrets`` are the configured key, SAS token or connection string, kept only to scrub
    them from error messages.
    """

    def __init__(
        self,
        container: ContainerClient,
        prefix: str = "",
        *,
        block_size: int = DEFAULT_BLOCK_SIZE,
        secrets: Iterable[str | None] = (),
    ) -> None:
        self.container = container
        self.prefix = prefix
        self.block_size = block_size
        self.secrets = tuple(secrets)
        parts = urlsplit(container.url)
        self._base = f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")

    def describe(self, key: str) -> str:
        return f"{self._base}/{described_key(self.prefix, key)}"

    def call(self, doing: str, where: str, request: Callable[[], T]) -> T:
        """Run one client request; a failure becomes the error `explain` sorts it into."""
        return guarded_call(request, explain, where=where, doing=doing, secrets=self.secrets)

    def check(self) -> None:
        where = f"{self._base}/{self.prefix}"
        self.call(
            "checking the container",
            where,
            lambda: self.container.get_container_properties(retry_total=1),  # fail early
        )

    def open(self, key: str) -> AzureUpload:
        return AzureUpload(self, object_key(self.prefix, key), self.describe(key))

    def put(self, key: str, data: bytes) -> None:
        self.put_whole(object_key(self.prefix, key), self.describe(key), data)

    def put_whole(self, full_key: str, where: str, data: bytes) -> None:
        """Send a small object with one Put Blob, which Azure applies atomically."""
        blob = self.container.get_blob_client(full_key)
        self.call("writing the blob", where, lambda: blob.upload_blob(data, overwrite=True))

    def read(self, key: str) -> bytes:
        full = object_key(self.prefix, key)
        return self.call(
            "reading the blob",
            self.describe(key),
            lambda: self.container.download_blob(full).readall(),
        )

    def list(self, prefix: str = "") -> list[str]:
        full = listing_prefix(self.prefix, prefix)

        def names() -> list[str]:
            return [blob.name for blob in self.container.list_blobs(name_starts_with=full)]

        found = self.call("listing blobs", f"{self._base}/{full}", names)
        return sorted(relative_key(self.prefix, name) for name in found)


class AzureUpload:
    """One blob streaming up as staged blocks; invisible until :meth:`commit`."""

    def __init__(self, store: AzureStore, key: str, where: str) -> None:
        self.store = store
        self.key = key
        self.where = where
        self.blob = store.container.get_blob_client(key)
        # Block ids must have one length within a blob; the random part keeps two uploads
        # of the same name from committing each other's blocks.
        self._id_prefix = uuid.uuid4().hex
        self.block_ids: list[str] = []
        self._buffer = PartBuffer(store.block_size)
        self._size = 0

    def write(self, data: bytes) -> None:
        self._size += len(data)
        for block in self._buffer.add(data):
            self._stage(block)

    def commit(self) -> int:
        rest = self._buffer.rest()
        if not self.block_ids:
            self.store.put_whole(self.key, self.where, rest)
        else:
            if rest:
                self._stage(rest)
            blocks = [BlobBlock(block_id) for block_id in self.block_ids]
            self.store.call(
                "committing the block list",
                self.where,
                lambda: self.blob.commit_block_list(blocks),
            )
        return self._size

    def abort(self) -> None:
        self._buffer.rest()

    def _stage(self, block: bytes) -> None:
        block_id = f"{self._id_prefix}-{len(self.block_ids):06d}"
        self.store.call(
            f"staging block {len(self.block_ids) + 1}",
            self.where,
            lambda: self.blob.stage_block(block_id, block),
        )
        self.block_ids.append(block_id)
