"""A GCS bucket as the lake writer's :class:`ObjectStore`.

An object streams up through a resumable upload session: each chunk (a multiple of 256 KiB)
goes out as it fills, with an open-ended ``Content-Range``, and :meth:`GcsUpload.commit`
sends the last one with the total size, which finalises the object — the one moment GCS
makes it visible, whole and CRC32C-checked. :meth:`GcsUpload.abort` cancels the session
(``DELETE`` on its URL). An object smaller than one chunk is sent in one request on commit.

``google.resumable_media`` drives the session rather than ``Blob.open("wb")``: its
``BlobWriter.terminate`` sends the cancel to the session's creation URL instead of the session
itself, so an aborted upload would linger for a week. The retry budget is set on
``_retry_strategy``, the way that library's own documentation shows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote

from google.api_core.retry import Retry
from google.auth.transport.requests import AuthorizedSession
from google.cloud import storage
from google.cloud.storage.fileio import SlidingBuffer
from google.cloud.storage.retry import DEFAULT_RETRY
from google.resumable_media import RetryStrategy
from google.resumable_media.requests import ResumableUpload

from elt.sdk.lake.objectstore import (
    described_key,
    guarded_call,
    listing_prefix,
    object_key,
    relative_key,
)
from target_gcs.failures import explain

__all__ = ["CHUNK_MULTIPLE", "DEFAULT_CHUNK_SIZE", "GcsStore", "GcsUpload"]

logger = logging.getLogger(__name__)
T = TypeVar("T")

CHUNK_MULTIPLE = 256 * 1024
"""GCS accepts resumable chunks only in multiples of 256 KiB (the last one excepted)."""
DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024
CONTENT_TYPE = "application/octet-stream"
"""Never a Content-Encoding: GCS would gunzip ``.gz`` files for readers (transcoding)."""
RETRY_SECONDS = 10.0
"""How long throttling, 5xx and connection errors are retried before the run fails; the
bookmark has not moved, so the next run picks up where this one stopped."""
RETRY = DEFAULT_RETRY.with_timeout(RETRY_SECONDS)


class GcsStore:
    """Objects under ``prefix`` in ``bucket``, through ``client`` and its HTTP ``session``.

    The store owns the session it gave the client, so uploads and cancels go through the
    same authorised connection pool without reaching into the client's private state.
    """

    def __init__(
        self,
        client: storage.Client,
        session: AuthorizedSession,
        bucket: str,
        prefix: str = "",
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        if chunk_size <= 0 or chunk_size % CHUNK_MULTIPLE:
            raise ValueError(f"GCS chunks are multiples of {CHUNK_MULTIPLE}, not {chunk_size}")
        self.client = client
        self.session = session
        self.bucket = client.bucket(bucket)
        self.prefix = prefix
        self.chunk_size = chunk_size

    def describe(self, key: str) -> str:
        return f"gs://{self.bucket.name}/{described_key(self.prefix, key)}"

    def call(self, doing: str, where: str, request: Callable[[], T]) -> T:
        """Run one client request; a failure becomes the error `explain` sorts it into."""
        return guarded_call(request, explain, where=where, doing=doing)

    def check(self) -> None:
        where = f"gs://{self.bucket.name}/{self.prefix}"
        self.call("checking the bucket", where, lambda: self.bucket.reload(retry=Retry(timeout=5)))

    def open(self, key: str) -> GcsUpload:
        return GcsUpload(self, object_key(self.prefix, key), self.describe(key))

    def put(self, key: str, data: bytes) -> None:
        self.upload_whole(object_key(self.prefix, key), self.describe(key), data)

    def upload_whole(self, full_key: str, where: str, data: bytes) -> None:
        """Send a small object in one request, which GCS applies atomically.

        Retried although uploads are not idempotent in general: resending the same bytes
        to the same name converges on the same object.
        """
        blob = self.bucket.blob(full_key)
        self.call(
            "writing the object",
            where,
            lambda: blob.upload_from_string(data, content_type=CONTENT_TYPE, retry=RETRY),
        )

    def read(self, key: str) -> bytes:
        blob = self.bucket.blob(object_key(self.prefix, key))
        data: bytes = self.call(
            "reading the object", self.describe(key), lambda: blob.download_as_bytes(retry=RETRY)
        )
        return data

    def list(self, prefix: str = "") -> list[str]:
        full = listing_prefix(self.prefix, prefix)

        def names() -> list[str]:
            blobs = self.client.list_blobs(self.bucket, prefix=full, retry=RETRY)
            return [blob.name for blob in blobs]

        found = self.call("listing objects", f"gs://{self.bucket.name}/{full}", names)
        return sorted(relative_key(self.prefix, name) for name in found)

    def upload_url(self) -> str:
        """Where resumable sessions for this bucket start (the JSON API's upload endpoint)."""
        bucket = quote(self.bucket.name, safe="")
        return f"{self.client.api_endpoint}/upload/storage/v1/b/{bucket}/o?uploadType=resumable"


class GcsUpload:
    """One object streaming up through a resumable session; invisible until commit."""

    def __init__(self, store: GcsStore, key: str, where: str) -> None:
        self.store = store
        self.key = key
        self.where = where
        self.session: ResumableUpload | None = None
        self._buffer = SlidingBuffer()
        self._finished = False

    def write(self, data: bytes) -> None:
        self._buffer.write(data)
        chunks = len(self._buffer) // self.store.chunk_size  # read bytes are flushed
        if chunks:
            self._transmit(chunks)

    def commit(self) -> int:
        if self.session is None:
            data = self._buffer.read()
            size = len(data)
            self.store.upload_whole(self.key, self.where, data)
        else:
            upload = self.session
            while not upload.finished:
                self._transmit(1)
            size = upload.bytes_uploaded
        self._finished = True
        self._buffer.close()
        return size

    def abort(self) -> None:
        if self._finished:
            return
        self._finished = True
        self._buffer.close()
        if self.session is None or self.session.resumable_url is None:
            return
        url = self.session.resumable_url
        try:
            response = self.store.session.delete(url, timeout=10)
        except Exception as exc:  # abort runs on error paths: report, never mask the cause
            logger.warning("%s: could not cancel the upload session (%s)", self.where, exc)
            return
        if response.status_code not in (204, 499):  # 499: the session is cancelled
            logger.warning(
                "%s: cancelling the upload session answered %s; GCS drops it after a week "
                "and it never becomes an object",
                self.where,
                response.status_code,
            )

    def _transmit(self, chunks: int) -> None:
        upload = self.session or self._start()
        for number in range(chunks):
            self.store.call(
                f"uploading chunk {number + 1} of {chunks}",
                self.where,
                lambda: upload.transmit_next_chunk(self.store.session, timeout=60),
            )
        self._buffer.flush()

    def _start(self) -> ResumableUpload:
        upload = ResumableUpload(self.store.upload_url(), self.store.chunk_size, checksum="crc32c")
        upload._retry_strategy = RetryStrategy(max_cumulative_retry=RETRY_SECONDS)
        self.store.call(
            "starting a resumable upload",
            self.where,
            lambda: upload.initiate(
                self.store.session,
                self._buffer,
                {"name": self.key},
                CONTENT_TYPE,
                stream_final=False,
                timeout=60,
            ),
        )
        self.session = upload
        return upload
