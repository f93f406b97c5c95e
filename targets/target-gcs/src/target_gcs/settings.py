"""target-gcs's own settings, and the :class:`GcsStore` they describe.

Credentials come from a service-account key file when ``credentials_path`` is set, else from
application default credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's login, the metadata
server on GCP), so a deployment on GCP needs no key file at all. ``anonymous`` sends none, for
emulators and public buckets; ``STORAGE_EMULATOR_HOST`` is honoured as google-cloud-storage
does (it implies ``anonymous`` and sets the endpoint).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import google.auth
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.transport.requests import AuthorizedSession
from google.cloud import storage
from google.oauth2 import service_account

from elt.errors import ConfigError
from elt.sdk.lake.objectstore import store_prefix
from target_gcs.failures import CREDENTIALS_HINT
from target_gcs.store import CHUNK_MULTIPLE, DEFAULT_CHUNK_SIZE, GcsStore

__all__ = ["SETTINGS", "connect"]

SCOPES = ["https://www.googleapis.com/auth/devstorage.read_write"]

SETTINGS: dict[str, dict[str, Any]] = {
    "bucket": {
        "type": "string",
        "required": True,
        "description": "The bucket to write to (it must exist).",
    },
    "project": {
        "type": ["string", "null"],
        "description": "Project to bill requests to; else the credentials' project.",
    },
    "credentials_path": {
        "type": ["string", "null"],
        "description": "Path to a service-account key file (JSON); else application default "
        "credentials.",
    },
    "endpoint": {
        "type": ["string", "null"],
        "description": "API endpoint, e.g. an emulator's `http://127.0.0.1:9023` or a private "
        "endpoint; unset for storage.googleapis.com (STORAGE_EMULATOR_HOST also sets it).",
    },
    "anonymous": {
        "type": ["boolean", "null"],
        "default": False,
        "description": "Send no credentials: for emulators and public buckets.",
    },
    "chunk_size": {
        "type": ["integer", "null"],
        "minimum": CHUNK_MULTIPLE,
        "multipleOf": CHUNK_MULTIPLE,
        "default": DEFAULT_CHUNK_SIZE,
        "description": "Bytes per resumable-upload request, a multiple of 256 KiB; the memory "
        "one open file holds.",
    },
}


def connect(config: Mapping[str, Any], *, prefix: str = "") -> GcsStore:
    """The store the settings in ``config`` describe, rooted at ``prefix`` (no request is
    sent yet). The lake writer hands over keys that already carry its `prefix` setting."""
    bucket = config.get("bucket")
    if not bucket:
        raise ConfigError("the `bucket` setting is required", hint="name an existing bucket")
    chunk_size = int(config.get("chunk_size") or DEFAULT_CHUNK_SIZE)
    if chunk_size <= 0 or chunk_size % CHUNK_MULTIPLE:
        raise ConfigError(
            f"`chunk_size` is {chunk_size} bytes; GCS wants a multiple of {CHUNK_MULTIPLE} "
            "(256 KiB)"
        )
    credentials, project = _credentials(config)
    endpoint = config.get("endpoint")
    session = AuthorizedSession(credentials)
    client = storage.Client(
        project=config.get("project") or project or "<none>",
        credentials=credentials,
        client_options={"api_endpoint": endpoint} if endpoint else None,
        _http=session,
    )
    return GcsStore(client, session, bucket, store_prefix(prefix), chunk_size=chunk_size)


def _credentials(config: Mapping[str, Any]) -> tuple[Credentials, str | None]:
    """The credentials to sign requests with, and the project they belong to, if known."""
    if path := config.get("credentials_path"):
        try:
            key_file = service_account.Credentials.from_service_account_file(path, scopes=SCOPES)
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(
                f"`credentials_path` {path} is not a readable service-account key file "
                f"({type(exc).__name__})",
                hint="download a JSON key for the service account, or unset it to use "
                "application default credentials",
            ) from exc
        return key_file, key_file.project_id
    if config.get("anonymous") or os.environ.get("STORAGE_EMULATOR_HOST"):
        return AnonymousCredentials(), None
    try:
        found, project = google.auth.default(scopes=SCOPES)
    except auth_exceptions.DefaultCredentialsError as exc:
        raise ConfigError(
            "no Google credentials: `credentials_path` is unset and there are no application "
            "default credentials",
            hint=CREDENTIALS_HINT,
        ) from exc
    return found, project
