"""google-cloud-storage's and google-auth's exceptions, sorted by :mod:`elt.cloudfailures`.

The translation of GCS's answers is the one the ``gs://`` state backend uses too; what is
this target's own is the advice, which names its settings. Refused or missing credentials,
access denied and a missing bucket are :class:`~elt.errors.AccessError` (exit 78); an
unreachable endpoint, timeouts, a token endpoint that failed on its side, throttling and
5xx :class:`~elt.errors.ServiceError` (75). Texts go through
:func:`~elt.cloudfailures.redact` so no signed-URL parameter or token reaches a message (the
key file's contents never enter one).
"""

from __future__ import annotations

import requests
from google.api_core import exceptions as api
from google.auth import exceptions as auth
from google.resumable_media import common as media

from elt.cloudfailures import Advice, Failure, explain_gcs

__all__ = ["ADVICE", "CREDENTIALS_HINT", "explain"]

CREDENTIALS_HINT = (
    "check `credentials_path` (a service-account key file), or the application default "
    "credentials (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login`, "
    "the metadata server) if it is not set"
)
ADVICE = Advice(
    service="GCS",
    missing="create the bucket, or fix the `bucket` setting",
    credentials=CREDENTIALS_HINT,
    permissions=(
        "storage.objects.create, .get, .list and .delete and storage.buckets.get on the "
        "bucket (roles/storage.objectAdmin plus roles/storage.legacyBucketReader)"
    ),
    endpoint="`endpoint`",
    settings="the GCS settings (`bucket`, `endpoint`)",
    kept="the bookmark did not move",
)


def explain(exc: Exception) -> Failure:
    return explain_gcs(exc, ADVICE, api=api, auth=auth, media=media, requests=requests)
