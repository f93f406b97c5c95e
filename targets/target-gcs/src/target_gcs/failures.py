"""google-cloud-storage's and google-auth's exceptions, sorted once into elt's error classes.

Refused or missing credentials, access denied and a missing bucket are
:class:`~elt.errors.AccessError` (exit 78: a retry cannot help); an unreachable endpoint,
timeouts, a token endpoint that failed on its side, throttling and 5xx are
:class:`~elt.errors.ServiceError` (75); other statuses follow
:func:`elt.errors.http_status_error`.

The JSON API, the resumable-upload protocol and the credential refresh each raise their own
exception types; a person reading the message needs only which object, what GCS (or the
token endpoint) said, and what to change. Texts go through
:func:`~elt.sdk.lake.objectstore.redact` so no signed-URL parameter or token reaches a
message (the key file's contents never enter one).
"""

from __future__ import annotations

import requests
from google.api_core import exceptions as api
from google.auth import exceptions as auth
from google.resumable_media import common as media

from elt.errors import ConfigError
from elt.sdk.lake.objectstore import Failure

__all__ = ["explain"]

CREDENTIALS_HINT = (
    "check `credentials_path` (a service-account key file), or the application default "
    "credentials (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login`, "
    "the metadata server) if it is not set"
)
RERUN_HINT = "rerun later if GCS is having trouble; the bookmark did not move"
PERMISSION_HINT = (
    "the account needs storage.objects.create, .get, .list and .delete and "
    "storage.buckets.get on the bucket (roles/storage.objectAdmin plus "
    "roles/storage.legacyBucketReader)"
)


def _status(exc: Exception) -> int | None:
    if isinstance(exc, api.GoogleAPICallError):
        return exc.code
    if isinstance(exc, media.InvalidResponse | media.DataCorruption):
        return getattr(exc.response, "status_code", None)
    return None


def explain(exc: Exception) -> Failure:
    if isinstance(exc, api.RetryError) and isinstance(exc.cause, Exception):
        exc = exc.cause  # retried until the budget ran out: what failed is what matters
    status = _status(exc)
    said = _first_line(exc)
    if isinstance(exc, media.DataCorruption):
        return Failure(
            f"the checksum GCS computed does not match the bytes sent ({said})",
            "rerun; the object was not accepted and the bookmark did not move",
        )
    if status == 404:
        return Failure.refused(
            "the bucket or object does not exist (404)",
            "create the bucket, or fix the `bucket` setting",
        )
    if status == 401:
        return Failure.refused(f"the credentials were refused (401): {said}", CREDENTIALS_HINT)
    if status == 403:
        return Failure.refused(
            f"access denied (403): {said}", f"{PERMISSION_HINT}; {CREDENTIALS_HINT}"
        )
    if isinstance(exc, auth.DefaultCredentialsError):
        return Failure.refused(f"no Google credentials found ({said})", CREDENTIALS_HINT)
    if isinstance(exc, auth.RefreshError) and not exc.retryable:
        return Failure.refused(
            f"the credentials were refused by the token endpoint ({said})", CREDENTIALS_HINT
        )
    if isinstance(exc, auth.RefreshError):
        return Failure(f"the token endpoint failed ({said})", RERUN_HINT)
    if isinstance(exc, requests.exceptions.SSLError):
        return Failure(
            f"the TLS connection to GCS failed ({said})",
            "check `endpoint` and the certificates this machine trusts",
            ConfigError,
        )
    if isinstance(exc, auth.TransportError | requests.ConnectionError | requests.Timeout):
        return Failure(
            f"GCS could not be reached ({said})",
            "check `endpoint` and the network; the server may be down",
        )
    if status is not None:
        hint = RERUN_HINT if status >= 500 else "check the GCS settings (`bucket`, `endpoint`)"
        return Failure.of_status(status, f"GCS answered {status}: {said}", hint)
    return Failure(
        f"{type(exc).__name__}: {said}", "rerun; if it happens again, report it as a bug"
    )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
