"""azure-core's exceptions, sorted once into one-paragraph messages of the right class.

Refused or missing credentials, access denied and a missing container are
:class:`~elt.errors.AccessError` (exit 78: a retry cannot help); an unreachable endpoint,
timeouts, throttling and 5xx are :class:`~elt.errors.ServiceError` (75); other statuses
follow :func:`elt.errors.http_status_error`.

Only the HTTP status and Azure's error code are quoted for refused requests: the service's
own text for a failed signature repeats the request's signature. Everything else goes
through :func:`~elt.sdk.lake.objectstore.redact`, which removes the configured key, SAS
token or connection string and any signed-URL parameter.
"""

from __future__ import annotations

from azure.core import exceptions as core

from elt.sdk.lake.objectstore import Failure

__all__ = ["CREDENTIALS_HINT", "explain"]

CREDENTIALS_HINT = (
    "check `connection_string`, `account_key` or `sas_token` (not expired, with read, add, "
    "create, write, list and delete permissions), or the identity DefaultAzureCredential "
    "finds when none is set"
)
REFUSED_CODES = {"AuthenticationFailed", "InvalidAuthenticationInfo", "NoAuthenticationInformation"}


def explain(exc: Exception) -> Failure:
    if isinstance(exc, core.HttpResponseError) and exc.status_code is not None:
        error_code = getattr(exc, "error_code", None)  # an enum member or a plain string
        code = str(getattr(error_code, "value", error_code) or exc.reason or "")
        status = exc.status_code
        said = f"Azure answered {status} {code}".rstrip()
        if code == "ContainerNotFound":
            return Failure.refused(
                "the container does not exist", "create it, or fix the `container` setting"
            )
        if code == "BlobNotFound" or status == 404:
            return Failure.refused(
                f"there is no such blob ({said})", "check the key; nothing was written there"
            )
        if code in REFUSED_CODES or status == 401:
            return Failure.refused(f"the credentials were refused ({said})", CREDENTIALS_HINT)
        if status == 403:
            return Failure.refused(
                f"the credentials were refused or lack permission ({said})", CREDENTIALS_HINT
            )
        hint = (
            "rerun later if Azure is having trouble; the bookmark did not move"
            if status >= 500
            else "check the Azure settings (`container`, `account_url`, `block_size`)"
        )
        return Failure.of_status(status, said, hint)
    if isinstance(exc, core.ClientAuthenticationError):  # raised by a credential, no response
        return Failure.refused(
            f"no usable Azure credentials ({_first_line(exc)})", CREDENTIALS_HINT
        )
    if isinstance(exc, core.ServiceRequestError | core.ServiceResponseError):
        return Failure(
            f"Azure Blob Storage could not be reached ({_first_line(exc)})",
            "check `account_url` or the connection string's BlobEndpoint, and the network; "
            "the server may be down",
        )
    return Failure(
        f"{type(exc).__name__}: {_first_line(exc)}", "rerun; if it happens again, report it"
    )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
