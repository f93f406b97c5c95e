"""azure-core's exceptions, sorted into elt's error classes by :mod:`elt.cloudfailures`.

The translation of Azure Storage's answers is the one the ``azure://`` state backend uses
too; what is this target's own is the advice, which names its settings. Refused or missing
credentials, access denied and a missing container are :class:`~elt.errors.AccessError`
(exit 78); an unreachable endpoint, timeouts, throttling and 5xx
:class:`~elt.errors.ServiceError` (75). Only the HTTP status and Azure's error code are
quoted for refused requests (the service's own text for a failed signature repeats the
request's); everything else goes through :func:`~elt.cloudfailures.redact`, which removes
the configured key, SAS token or connection string and any signed-URL parameter.
"""

from __future__ import annotations

from azure.core import exceptions

from elt.cloudfailures import Advice, Failure, explain_azure

__all__ = ["ADVICE", "CREDENTIALS_HINT", "explain"]

CREDENTIALS_HINT = (
    "check `connection_string`, `account_key` or `sas_token` (not expired, with read, add, "
    "create, write, list and delete permissions), or the identity DefaultAzureCredential "
    "finds when none is set"
)
ADVICE = Advice(
    service="Azure Blob Storage",
    missing="create it, or fix the `container` setting",
    credentials=CREDENTIALS_HINT,
    permissions="read, add, create, write, list and delete on the container",
    endpoint="`account_url` or the connection string's BlobEndpoint",
    settings="the Azure settings (`container`, `account_url`, `block_size`)",
    kept="the bookmark did not move",
)


def explain(exc: Exception) -> Failure:
    return explain_azure(exc, ADVICE, exceptions)
