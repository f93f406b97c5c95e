"""An S3 bucket (or an S3-compatible store) as the lake writer's :class:`ObjectStore`.

An object streams up as a multipart upload: the first full part creates the upload, each
part of ``part_size`` is sent as it fills, and :meth:`S3Upload.commit` completes it — the
one moment S3 makes the object visible, whole. Until then a listing shows nothing, and
:meth:`S3Upload.abort` aborts the upload so its parts stop costing storage. An object smaller
than one part never opens a multipart upload: commit sends it with one ``PutObject``, which is
atomic too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from elt.sdk.lake.objectstore import (
    PartBuffer,
    client_failure,
    described_key,
    guarded_call,
    listing_prefix,
    object_key,
    relative_key,
)
from target_s3.failures import explain

__all__ = ["DEFAULT_PART_SIZE", "MIN_PART_SIZE", "S3Store", "S3Upload"]

logger = logging.getLogger(__name__)
T = TypeVar("T")

MIN_PART_SIZE = 5 * 1024 * 1024
"""S3 refuses parts smaller than 5 MiB, except the last one."""
DEFAULT_PART_SIZE = 8 * 1024 * 1024
"""As the AWS CLI: at S3's limit of 10,000 parts an object may reach 80 GB."""


class S3Store:
    """Objects under ``prefix`` in ``bucket``, through a boto3 S3 ``client``.

    ``client`` is typed ``Any`` because boto3 builds its clients at run time. ``secrets`` are
    the configured credentials, kept only to scrub them from error messages.
    """

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "",
        *,
        part_size: int = DEFAULT_PART_SIZE,
        secrets: Iterable[str | None] = (),
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"S3 parts are at least {MIN_PART_SIZE} bytes, not {part_size}")
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.part_size = part_size
        self.secrets = tuple(secrets)

    def describe(self, key: str) -> str:
        return f"s3://{self.bucket}/{described_key(self.prefix, key)}"

    def call(self, doing: str, where: str, request: Callable[[], T]) -> T:
        """Run one client request; a failure becomes the error `explain` sorts it into."""
        return guarded_call(request, explain, where=where, doing=doing, secrets=self.secrets)

    def check(self) -> None:
        where = f"s3://{self.bucket}/{self.prefix}"
        self.call("checking the bucket", where, lambda: self.client.head_bucket(Bucket=self.bucket))

    def open(self, key: str) -> S3Upload:
        return S3Upload(self, object_key(self.prefix, key), self.describe(key))

    def put(self, key: str, data: bytes) -> None:
        full = object_key(self.prefix, key)
        self.call(
            "writing the object",
            self.describe(key),
            lambda: self.client.put_object(Bucket=self.bucket, Key=full, Body=data),
        )

    def read(self, key: str) -> bytes:
        full = object_key(self.prefix, key)

        def get() -> bytes:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=full)["Body"].read()
            return body

        return self.call("reading the object", self.describe(key), get)

    def list(self, prefix: str = "") -> list[str]:
        full = listing_prefix(self.prefix, prefix)

        def keys() -> list[str]:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=full
            )
            return [obj["Key"] for page in pages for obj in page.get("Contents", ())]

        found = self.call("listing objects", f"s3://{self.bucket}/{full}", keys)
        return sorted(relative_key(self.prefix, key) for key in found)


class S3Upload:
    """One object streaming up in parts; invisible until :meth:`commit` returns."""

    def __init__(self, store: S3Store, key: str, where: str) -> None:
        self.store = store
        self.key = key
        self.where = where
        self.upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._buffer = PartBuffer(store.part_size)
        self._size = 0
        self._finished = False

    def write(self, data: bytes) -> None:
        self._size += len(data)
        for part in self._buffer.add(data):
            self._send(part)

    def commit(self) -> int:
        rest = self._buffer.rest()
        client, bucket = self.store.client, self.store.bucket
        if self.upload_id is None:
            self.store.call(
                "writing the object",
                self.where,
                lambda: client.put_object(Bucket=bucket, Key=self.key, Body=rest),
            )
        else:
            if rest:
                self._send(rest)
            upload_id, parts = self.upload_id, self._parts
            self.store.call(
                "completing the multipart upload",
                self.where,
                lambda: client.complete_multipart_upload(
                    Bucket=bucket,
                    Key=self.key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                ),
            )
        self._finished = True
        return self._size

    def abort(self) -> None:
        if self._finished:
            return
        self._finished = True
        self._buffer.rest()
        if self.upload_id is None:
            return
        upload_id, client = self.upload_id, self.store.client
        try:
            client.abort_multipart_upload(
                Bucket=self.store.bucket, Key=self.key, UploadId=upload_id
            )
        except Exception as exc:  # abort runs on error paths: report, never mask the cause
            logger.warning(
                "%s: could not abort multipart upload %s (%s); its parts stay invisible until "
                "a lifecycle rule (AbortIncompleteMultipartUpload) removes them",
                self.where,
                upload_id,
                client_failure(
                    exc, explain, where=self.where, doing="aborting", secrets=self.store.secrets
                ),
            )

    def _send(self, part: bytes) -> None:
        client, bucket = self.store.client, self.store.bucket
        if self.upload_id is None:
            created = self.store.call(
                "starting a multipart upload",
                self.where,
                lambda: client.create_multipart_upload(Bucket=bucket, Key=self.key),
            )
            self.upload_id = str(created["UploadId"])
        number, upload_id = len(self._parts) + 1, self.upload_id
        sent = self.store.call(
            f"uploading part {number}",
            self.where,
            lambda: client.upload_part(
                Bucket=bucket, Key=self.key, UploadId=upload_id, PartNumber=number, Body=part
            ),
        )
        self._parts.append({"PartNumber": number, "ETag": sent["ETag"]})
