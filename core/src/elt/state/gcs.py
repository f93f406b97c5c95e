"""``gs://bucket/prefix``: state objects in Google Cloud Storage, through google-cloud-storage.

Credentials come from Application Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS``,
``gcloud auth application-default login``, the metadata server); ``STORAGE_EMULATOR_HOST``
or the ``endpoint_url`` setting point the client elsewhere (an emulator needs no
credentials). The lock uses generation preconditions: create with
``ifGenerationMatch=0``, renew, take over and release with ``ifGenerationMatch=<gen>``.
(The gcp-storage-emulator the tests use ignores preconditions; reading the lock record
before each write still refuses a live holder there, and real GCS enforces the race.)

google-cloud-storage is the ``gcs`` extra (``pip install 'elt-core[gcs]'``), imported only when
a project uses this backend.
"""

from __future__ import annotations

from typing import Any

from elt.cloudfailures import Advice, explain_gcs
from elt.errors import EltError, ServiceError
from elt.state.urls import split_bucket_url

__all__ = ["GcsBucket"]

_ATTEMPTS = 3
_ADVICE = Advice(
    service="GCS",
    missing="create the bucket, or fix state_backend in plugins.yml",
    credentials=(
        "check the application default credentials (GOOGLE_APPLICATION_CREDENTIALS, `gcloud "
        "auth application-default login`)"
    ),
    permissions="storage.objects.get, .create, .delete and .list on the bucket",
    endpoint="state_backend_settings endpoint_url (or STORAGE_EMULATOR_HOST)",
    settings="state_backend and state_backend_settings in plugins.yml",
    kept="the stored bookmark is intact",
)


class GcsBucket:
    """The :class:`~elt.state.objects.Bucket` of one ``gs://bucket/prefix`` URL."""

    def __init__(self, url: str, *, endpoint_url: str | None) -> None:
        self.name, self.prefix = split_bucket_url(url, "gs")
        import requests  # the gcs extra; open_state_store says so when it is missing
        from google.api_core import exceptions as api
        from google.auth import exceptions as auth
        from google.cloud import storage
        from google.resumable_media import common as media

        self._api: Any = api
        self._clients: dict[str, Any] = {
            "api": api,
            "auth": auth,
            "media": media,
            "requests": requests,
        }
        self._failures: tuple[type[Exception], ...] = (
            api.GoogleAPICallError,
            api.RetryError,
            auth.GoogleAuthError,
            media.InvalidResponse,
            media.DataCorruption,
            requests.RequestException,
        )
        options = {"api_endpoint": endpoint_url} if endpoint_url else None
        try:
            self._client: Any = storage.Client(client_options=options)
        except auth.GoogleAuthError as error:
            raise self._failure(error, "", "connecting") from None
        self._bucket: Any = self._client.bucket(self.name)

    def describe(self, key: str) -> str:
        return f"gs://{self.name}/{self.prefix}{key}"

    def read(self, key: str) -> tuple[bytes, str] | None:
        """The bytes of the generation the metadata names (re-read if it changed between)."""
        for _ in range(_ATTEMPTS):
            try:
                found = self._bucket.get_blob(self.prefix + key)
                if found is None:
                    return None
                # a new Blob builds its own download URL; the metadata's mediaLink is not
                # always escaped right (the emulator's, for keys with %)
                blob = self._bucket.blob(self.prefix + key)
                data = blob.download_as_bytes(if_generation_match=found.generation)
                return data, str(found.generation)
            except (self._api.NotFound, self._api.PreconditionFailed):
                continue
            except self._failures as error:
                raise self._failure(error, key, "reading") from None
        raise ServiceError(
            "reading the state failed: the object kept changing while being read",
            where=self.describe(key),
            hint="Another process is rewriting it; rerun",
        )

    def write(self, key: str, data: bytes) -> None:
        self._put(key, data, None)

    def create(self, key: str, data: bytes) -> str | None:
        return self._put(key, data, 0)

    def replace(self, key: str, data: bytes, version: str) -> str | None:
        return self._put(key, data, int(version))

    def delete(self, key: str, version: str | None = None) -> bool:
        blob = self._bucket.blob(self.prefix + key)
        generation = None if version is None else int(version)
        try:
            blob.delete(if_generation_match=generation)
        except (self._api.NotFound, self._api.PreconditionFailed):
            return False
        except self._failures as error:
            raise self._failure(error, key, "deleting") from None
        return True

    def keys(self) -> list[str]:
        try:
            return [
                blob.name[len(self.prefix) :]
                for blob in self._client.list_blobs(self.name, prefix=self.prefix)
            ]
        except self._failures as error:
            raise self._failure(error, "", "listing") from None

    def close(self) -> None:
        self._client.close()

    def _put(self, key: str, data: bytes, generation: int | None) -> str | None:
        """One upload request of the whole object; GCS makes it visible whole or not at all."""
        blob = self._bucket.blob(self.prefix + key)
        try:
            blob.upload_from_string(
                data, content_type="application/json", if_generation_match=generation
            )
        except self._failures as error:
            if generation is not None and isinstance(error, self._api.PreconditionFailed):
                return None
            raise self._failure(error, key, "writing") from None
        return str(blob.generation)

    def _failure(self, error: Exception, key: str, doing: str) -> EltError:
        """GCS's failure, explained as the lake targets explain it (:mod:`elt.cloudfailures`)."""
        failure = explain_gcs(error, _ADVICE, **self._clients)
        return failure.error_for(f"{doing} the state", self.describe(key))
