"""target-s3's own settings, and the :class:`S3Store` they describe.

Credentials come from the settings when both keys are given, else from boto3's standard
chain (environment, ``AWS_PROFILE`` and shared files, SSO, container or instance role), so a
deployment on AWS needs no secret in the config at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config

from elt.errors import ConfigError
from elt.sdk.lake.objectstore import store_prefix
from target_s3.store import DEFAULT_PART_SIZE, MIN_PART_SIZE, S3Store

__all__ = ["SETTINGS", "connect"]

_SECRET = {"type": ["string", "null"], "secret": True, "writeOnly": True}

SETTINGS: dict[str, dict[str, Any]] = {
    "bucket": {
        "type": "string",
        "required": True,
        "description": "The bucket to write to (it must exist).",
    },
    "region": {
        "type": ["string", "null"],
        "description": "The bucket's region, e.g. `eu-west-1`; else the AWS chain's region.",
    },
    "endpoint_url": {
        "type": ["string", "null"],
        "description": "Endpoint of an S3-compatible store (MinIO, Ceph, R2, moto); unset for AWS.",
    },
    "aws_access_key_id": {**_SECRET, "description": "Access key id; else the AWS chain."},
    "aws_secret_access_key": {**_SECRET, "description": "Secret access key for the key id."},
    "aws_session_token": {**_SECRET, "description": "Session token for temporary credentials."},
    "part_size": {
        "type": ["integer", "null"],
        "minimum": MIN_PART_SIZE,
        "default": DEFAULT_PART_SIZE,
        "description": "Bytes per multipart part (at least 5 MiB); the memory one open file "
        "holds, and 10,000 parts bound an object's size.",
    },
}

RETRIES = Config(retries={"mode": "standard", "max_attempts": 3})
"""Three attempts on throttling, 5xx and connection errors, then fail the run: the bookmark
has not moved, so the next run picks up where this one stopped."""


def connect(config: Mapping[str, Any], *, prefix: str = "") -> S3Store:
    """The store the settings in ``config`` describe, rooted at ``prefix`` (no request is
    sent yet). The lake writer hands over keys that already carry its `prefix` setting."""
    bucket = config.get("bucket")
    if not bucket:
        raise ConfigError("the `bucket` setting is required", hint="name an existing bucket")
    key_id, secret = config.get("aws_access_key_id"), config.get("aws_secret_access_key")
    if bool(key_id) != bool(secret):
        raise ConfigError(
            "set both `aws_access_key_id` and `aws_secret_access_key`, or neither",
            hint="leave both unset to use the AWS credential chain",
        )
    part_size = int(config.get("part_size") or DEFAULT_PART_SIZE)
    if part_size < MIN_PART_SIZE:
        raise ConfigError(
            f"`part_size` is {part_size} bytes; S3 parts are at least {MIN_PART_SIZE} (5 MiB)"
        )
    token = config.get("aws_session_token")
    session = boto3.session.Session(
        aws_access_key_id=key_id or None,
        aws_secret_access_key=secret or None,
        aws_session_token=token or None,
        region_name=config.get("region") or None,
    )
    client = session.client("s3", endpoint_url=config.get("endpoint_url") or None, config=RETRIES)
    return S3Store(
        client,
        bucket,
        store_prefix(prefix),
        part_size=part_size,
        secrets=(secret, token),
    )
