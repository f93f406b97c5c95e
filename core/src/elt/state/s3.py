"""``s3://bucket/prefix``: state objects in S3 (or MinIO, Ceph, R2, moto), through boto3.

Credentials and region come from the standard AWS chain (``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, an instance or task role; ``AWS_REGION``), as
for the ``aws`` CLI; ``state_backend_settings`` may set ``endpoint_url`` and ``region``
(``AWS_ENDPOINT_URL_S3`` works too). The lock uses S3's conditional writes: create with
``If-None-Match: *``, renew and take over with ``If-Match: <ETag>``, release with a
conditional delete, so two runs racing on different machines cannot both win.

boto3 is the ``s3`` extra (``pip install 'elt-core[s3]'``), imported only when a project uses
this backend.
"""

from __future__ import annotations

from typing import Any

from elt.cloudfailures import Advice, explain_s3
from elt.errors import ConfigError, EltError
from elt.state.urls import split_bucket_url

__all__ = ["S3Bucket"]

_LOST_RACE = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
_MISSING = {"NoSuchKey", "404"}
_ADVICE = Advice(
    service="S3",
    missing="create it, or fix state_backend in plugins.yml",
    credentials=(
        "check the AWS credential chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
        "AWS_PROFILE, the instance role)"
    ),
    permissions=("s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket under the prefix"),
    endpoint="state_backend_settings endpoint_url and region",
    settings="state_backend and state_backend_settings in plugins.yml",
    kept="the stored bookmark is intact",
)


class S3Bucket:
    """The :class:`~elt.state.objects.Bucket` of one ``s3://bucket/prefix`` URL."""

    def __init__(self, url: str, *, endpoint_url: str | None, region: str | None) -> None:
        self.name, self.prefix = split_bucket_url(url, "s3")
        import boto3  # the s3 extra; open_state_store says so when it is missing
        from botocore import exceptions
        from botocore.config import Config

        self._errors: Any = exceptions
        config = Config(connect_timeout=10, read_timeout=30, retries={"mode": "standard"})
        try:
            self._client: Any = boto3.session.Session().client(
                "s3", endpoint_url=endpoint_url, region_name=region, config=config
            )
        except (exceptions.BotoCoreError, ValueError) as error:
            raise ConfigError(
                f"cannot make an S3 client for {self.describe('')}: {error}",
                hint="Check state_backend_settings endpoint_url and region",
            ) from None

    def describe(self, key: str) -> str:
        return f"s3://{self.name}/{self.prefix}{key}"

    def read(self, key: str) -> tuple[bytes, str] | None:
        try:
            response = self._client.get_object(Bucket=self.name, Key=self.prefix + key)
            return response["Body"].read(), str(response["ETag"])
        except self._errors.ClientError as error:
            if _code(error) in _MISSING:
                return None
            raise self._failure(error, key, "reading") from None
        except self._errors.BotoCoreError as error:
            raise self._failure(error, key, "reading") from None

    def write(self, key: str, data: bytes) -> None:
        self._put(key, data)

    def create(self, key: str, data: bytes) -> str | None:
        return self._put(key, data, IfNoneMatch="*")

    def replace(self, key: str, data: bytes, version: str) -> str | None:
        return self._put(key, data, IfMatch=version)

    def delete(self, key: str, version: str | None = None) -> bool:
        try:
            if version is None:
                self._client.head_object(Bucket=self.name, Key=self.prefix + key)
                self._client.delete_object(Bucket=self.name, Key=self.prefix + key)
            else:
                self._client.delete_object(Bucket=self.name, Key=self.prefix + key, IfMatch=version)
        except self._errors.ClientError as error:
            if _code(error) in _MISSING | _LOST_RACE:
                return False
            raise self._failure(error, key, "deleting") from None
        except self._errors.BotoCoreError as error:
            raise self._failure(error, key, "deleting") from None
        return True

    def keys(self) -> list[str]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.name, Prefix=self.prefix
        )
        try:
            return [
                item["Key"][len(self.prefix) :]
                for page in pages
                for item in page.get("Contents", ())
            ]
        except (self._errors.ClientError, self._errors.BotoCoreError) as error:
            raise self._failure(error, "", "listing") from None

    def close(self) -> None:
        self._client.close()

    def _put(self, key: str, data: bytes, **condition: str) -> str | None:
        """One PUT of the whole object: S3 stores all of it or none of it."""
        try:
            response = self._client.put_object(
                Bucket=self.name,
                Key=self.prefix + key,
                Body=data,
                ContentType="application/json",
                **condition,
            )
        except self._errors.ClientError as error:
            if condition and _code(error) in _LOST_RACE | _MISSING:
                return None
            raise self._failure(error, key, "writing") from None
        except self._errors.BotoCoreError as error:
            raise self._failure(error, key, "writing") from None
        return str(response["ETag"])

    def _failure(self, error: Exception, key: str, doing: str) -> EltError:
        """S3's failure, explained as the lake targets explain it (:mod:`elt.cloudfailures`)."""
        failure = explain_s3(error, _ADVICE, self._errors)
        return failure.error_for(f"{doing} the state", self.describe(key))


def _code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
