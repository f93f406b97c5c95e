"""azure-core's exceptions, sorted once into one-paragraph :class:`ServiceError` messages.

Only the HTTP status and Azure's error code are quoted for refused requests: the service's
own text for a failed signature repeats the request's signature. Everything else goes
through :func:`~elt.sdk.lake.objectstore.redact`, which removes the configured key, SAS
token or connection string and any signed-URL parameter.
"""

from __future__ import annotations

from azure.core import exceptions as core

__all__ = ["CREDENTIALS_HINT", "explain"]

CREDENTIALS_HINT = (
    "check `connection_string`, `account_key` or `sas_token` (not expired, with read, add, "
    "create, write, list and delete permissions), or the identity DefaultAzureCredential "
    "finds when none is set"
)
REFUSED_CODES = {"AuthenticationFailed", "InvalidAuthenticationInfo", "NoAuthenticationInformation"}


def explain(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, core.HttpResponseError) and exc.status_code is not None:
        error_code = getattr(exc, "error_code", None)  # an enum member or a plain string
        code = str(getattr(error_code, "value", error_code) or exc.reason or "")
        said = f"Azure answered {exc.status_code} {code}".rstrip()
        if code == "ContainerNotFound":
            return "the container does not exist", "create it, or fix the `container` setting"
        if code == "BlobNotFound" or exc.status_code == 404:
            return f"there is no such blob ({said})", "check the key; nothing was written there"
        if code in REFUSED_CODES or exc.status_code == 401:
            return f"the credentials were refused ({said})", CREDENTIALS_HINT
        if exc.status_code == 403:
            return f"the credentials were refused or lack permission ({said})", CREDENTIALS_HINT
        return said, "rerun later if Azure is having trouble; the bookmark did not move"
    if isinstance(exc, core.ClientAuthenticationError):  # raised by a credential, no response
        return f"no usable Azure credentials ({_first_line(exc)})", CREDENTIALS_HINT
    if isinstance(exc, core.ServiceRequestError | core.ServiceResponseError):
        return (
            f"Azure Blob Storage could not be reached ({_first_line(exc)})",
            "check `account_url` or the connection string's BlobEndpoint, and the network; "
            "the server may be down",
        )
    return f"{type(exc).__name__}: {_first_line(exc)}", "rerun; if it happens again, report it"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
