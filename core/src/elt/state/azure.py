"""``azure://container/prefix``: state blobs in Azure Blob Storage, through azure-storage-blob.

The storage account comes from a connection string: the ``connection_string`` setting
(write it as ``${VAR}``), else ``AZURE_STORAGE_CONNECTION_STRING``. The lock uses
conditional requests: create with ``If-None-Match: *`` (``overwrite=False``), renew, take
over and release with ``If-Match: <ETag>``. Failures are explained by
:mod:`elt.cloudfailures`, as the lake targets explain them: a refused request by Azure's
status and error code only (a refused signature's text echoes the request's), other texts
with the connection string's key and signature scrubbed.

azure-storage-blob is the ``azure`` extra (``pip install 'elt-core[azure]'``), imported only when
a project uses this backend.
"""

from __future__ import annotations

import os
from typing import Any

from elt.cloudfailures import Advice, explain_azure
from elt.errors import ConfigError, EltError
from elt.state.urls import WHERE, split_bucket_url

__all__ = ["CONNECTION_STRING_VARIABLE", "AzureBucket"]

CONNECTION_STRING_VARIABLE = "AZURE_STORAGE_CONNECTION_STRING"
_CREDENTIALS_HINT = (
    "check the connection string (state_backend_settings.connection_string or "
    f"{CONNECTION_STRING_VARIABLE}): its account key or SAS token, and that the SAS allows "
    "read, write, create, delete and list"
)
_ADVICE = Advice(
    service="Azure Blob Storage",
    missing="create it, or fix state_backend in plugins.yml",
    credentials=_CREDENTIALS_HINT,
    permissions="read, write, create, delete and list on the container",
    endpoint="the connection string's BlobEndpoint",
    settings="state_backend and state_backend_settings in plugins.yml",
    kept="the stored bookmark is intact",
)
_MISSING_BLOB = {"BlobNotFound", "ConditionNotMet"}
# the parts of a connection string that are secret, scrubbed from any quoted text
_SECRET_PARTS = ("AccountKey", "SharedAccessSignature")


class AzureBucket:
    """The :class:`~elt.state.objects.Bucket` of one ``azure://container/prefix`` URL."""

    def __init__(self, url: str, *, connection_string: str | None) -> None:
        self.name, self.prefix = split_bucket_url(url, "azure")
        connection_string = connection_string or os.environ.get(CONNECTION_STRING_VARIABLE)
        if not connection_string:
            raise ConfigError(
                "state_backend azure:// needs the storage account's connection string",
                where=WHERE,
                hint=f"Set {CONNECTION_STRING_VARIABLE}, or state_backend_settings."
                "connection_string to ${VAR}",
            )
        # the azure extra; open_state_store says so when it is missing
        from azure.core import MatchConditions, exceptions
        from azure.storage.blob import BlobServiceClient

        self._errors: Any = exceptions
        self._unchanged: Any = MatchConditions.IfNotModified
        try:
            self._service: Any = BlobServiceClient.from_connection_string(
                connection_string, retry_total=3, connection_timeout=10
            )
        except ValueError:
            raise ConfigError(
                "the Azure connection string is not valid (its value is not shown)",
                where=WHERE,
                hint=_CREDENTIALS_HINT,
            ) from None
        self._container: Any = self._service.get_container_client(self.name)
        self._secrets = [connection_string] + [
            value
            for part in connection_string.split(";")
            for name, _, value in [part.partition("=")]
            if name.strip() in _SECRET_PARTS and value
        ]

    def describe(self, key: str) -> str:
        return f"azure://{self.name}/{self.prefix}{key}"

    def read(self, key: str) -> tuple[bytes, str] | None:
        try:
            download = self._blob(key).download_blob()
            return download.readall(), str(download.properties.etag)
        except self._errors.AzureError as error:
            if _code(error) == "BlobNotFound":
                return None
            raise self._failure(error, key, "reading") from None

    def write(self, key: str, data: bytes) -> None:
        self._put(key, data, overwrite=True)

    def create(self, key: str, data: bytes) -> str | None:
        return self._put(key, data, overwrite=False)

    def replace(self, key: str, data: bytes, version: str) -> str | None:
        return self._put(key, data, overwrite=True, etag=version, match_condition=self._unchanged)

    def delete(self, key: str, version: str | None = None) -> bool:
        condition = {} if version is None else {"etag": version, "match_condition": self._unchanged}
        try:
            self._blob(key).delete_blob(**condition)
        except self._errors.AzureError as error:
            if _code(error) in _MISSING_BLOB or isinstance(
                error, self._errors.ResourceModifiedError
            ):
                return False
            raise self._failure(error, key, "deleting") from None
        return True

    def keys(self) -> list[str]:
        try:
            return [
                name[len(self.prefix) :]
                for name in self._container.list_blob_names(name_starts_with=self.prefix)
            ]
        except self._errors.AzureError as error:
            raise self._failure(error, "", "listing") from None

    def close(self) -> None:
        self._service.close()

    def _blob(self, key: str) -> Any:
        return self._container.get_blob_client(self.prefix + key)

    def _put(self, key: str, data: bytes, **options: Any) -> str | None:
        """One Put Blob of the whole document (far below the single-put size): atomic."""
        conditional = not options["overwrite"] or "etag" in options
        try:
            result = self._blob(key).upload_blob(data, **options)
        except self._errors.AzureError as error:
            lost = isinstance(
                error, self._errors.ResourceExistsError | self._errors.ResourceModifiedError
            )
            if conditional and (lost or _code(error) in _MISSING_BLOB):
                return None
            raise self._failure(error, key, "writing") from None
        return str(result["etag"])

    def _failure(self, error: Exception, key: str, doing: str) -> EltError:
        """Azure's failure, explained as the lake targets explain it
        (:mod:`elt.cloudfailures`), the connection string's secrets scrubbed."""
        failure = explain_azure(error, _ADVICE, self._errors)
        return failure.error_for(f"{doing} the state", self.describe(key), self._secrets)


def _code(error: Exception) -> str:
    code = getattr(error, "error_code", None)  # an enum member or a plain string
    return str(getattr(code, "value", code) or "")
