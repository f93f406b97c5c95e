"""What a failure of S3, GCS or Azure Blob Storage means: one translation for every caller.

The remote state backends (:mod:`elt.state.s3`, ``.gcs``, ``.azure``) and the lake targets'
stores (target-s3, -gcs, -azure) talk to the same three services, and a person reading
either's error needs the same things: which object, what the service said, whether a retry
can help, and what to change. So the sorting lives here, once:

- refused or missing credentials, access denied, a missing bucket or container:
  :class:`~elt.errors.AccessError` (exit 78: a retry cannot help);
- unreachable, timeouts, throttling, 5xx: :class:`~elt.errors.ServiceError` (75);
- a TLS failure or a setting the client refuses: :class:`~elt.errors.ConfigError` (78);
- any other HTTP status as :func:`elt.errors.http_status_error` sorts it.

The service's answer is read by pure functions of its codes (:func:`s3_answer`,
:func:`gcs_answer`, :func:`azure_answer`); :func:`explain_s3`, :func:`explain_gcs` and
:func:`explain_azure` take a client's exception and the client's own exception module,
which the caller imported when it made the client — this module imports no client, so
boto3, google-cloud-storage and azure-storage-blob stay loaded only by the modules that use
them. What to change is said in the caller's words (:class:`Advice`): a lake target names
its settings (`` `bucket` ``), a state backend plugins.yml's ``state_backend``.

Secrets stay out: a message quotes a service's code and first line of text, never a
request; :meth:`Failure.error_for` passes it through :func:`redact`, which removes the
configured secrets and any signed-URL parameter.

Layer: a leaf beside :mod:`elt.errors` (it imports nothing else of elt), so both towers
— ``elt.sdk`` and the plugins, ``elt.state`` — may import it (tests/test_layers.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from elt.errors import AccessError, ConfigError, EltError, ServiceError, http_status_error

__all__ = [
    "Advice",
    "Failure",
    "azure_answer",
    "explain_azure",
    "explain_gcs",
    "explain_s3",
    "gcs_answer",
    "redact",
    "s3_answer",
]


@dataclass(frozen=True, slots=True)
class Failure:
    """What a client's exception means to a person: what happened, what to do, and the
    class of error it is (whether ``elt run --retries`` should try again)."""

    message: str
    hint: str
    error: type[EltError] = ServiceError

    @classmethod
    def of_status(cls, status: int, message: str, hint: str) -> Failure:
        """A failed HTTP response, classed by :func:`elt.errors.http_status_error`."""
        return cls(message, hint, http_status_error(status))

    @classmethod
    def refused(cls, message: str, hint: str) -> Failure:
        """Credentials refused or missing, access denied, no such bucket: not retried."""
        return cls(message, hint, AccessError)

    def error_for(self, doing: str, where: str, secrets: Iterable[str | None] = ()) -> EltError:
        """The error to raise: ``{where}: {doing} failed: {message}. {hint}``."""
        return self.error(
            f"{doing} failed: {redact(self.message, secrets)}", where=where, hint=self.hint
        )


@dataclass(frozen=True, slots=True)
class Advice:
    """What to tell a person to change, in the words of the caller's configuration."""

    service: str  # as named in messages: "S3"
    missing: str  # a missing bucket or container: "create the bucket, or fix ..."
    credentials: str  # where the credentials come from: "check aws_access_key_id, ..."
    permissions: str  # what they must allow: "s3:GetObject, ... on this bucket and prefix"
    endpoint: str  # what says where the service is: "`endpoint_url`, `region`"
    settings: str  # what a refused request points at: "the S3 settings (`bucket`, ...)"
    kept: str  # what a failure leaves as it was: "the bookmark did not move"


# A SAS signature or a credential in a query string, however the client quotes a URL.
_SECRET_PARAMS: Final = re.compile(
    r"(?i)\b(sig|signature|x-amz-signature|access_token|token)=[^&\s'\"]+"
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every given secret and any signed-URL parameter replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=***", text)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (its type when it has none), at most 300
    characters: enough to act on, never a whole response body."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


# --- what every service shares --------------------------------------------------------------


def _rerun(advice: Advice) -> str:
    return f"rerun later if {advice.service} is having trouble; {advice.kept}"


def _credentials_refused(advice: Advice, said: str) -> Failure:
    return Failure.refused(f"the credentials were refused ({said})", advice.credentials)


def _denied(advice: Advice, said: str) -> Failure:
    """A 403 that names no credential problem: refused, or allowed too little (services
    and emulators answer a wrong key both ways)."""
    return Failure.refused(
        f"the credentials were refused or lack permission ({said})",
        f"they must allow {advice.permissions}; {advice.credentials}",
    )


def _unreachable(advice: Advice, said: str) -> Failure:
    return Failure(
        f"{advice.service} could not be reached ({said})",
        f"check {advice.endpoint} and the network; the server may be down",
    )


def _tls(advice: Advice, said: str) -> Failure:
    return Failure(
        f"the TLS connection to {advice.service} failed ({said})",
        f"check {advice.endpoint} and the certificates this machine trusts",
        ConfigError,
    )


def _answered(advice: Advice, status: int, said: str) -> Failure:
    hint = _rerun(advice) if status >= 500 else f"check {advice.settings}"
    return Failure.of_status(status, said, hint)


def _unexpected(exc: BaseException) -> Failure:
    return Failure(
        f"{type(exc).__name__}: {first_line(exc)}",
        "rerun; if it happens again, report it as a bug",
    )


# --- S3 ----------------------------------------------------------------------------------

S3_REFUSED_CODES: Final = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
        "AuthorizationHeaderMalformed",
    }
)
# Answers botocore's own retry treats as passing (S3 sends RequestTimeout as a 400).
S3_TRANSIENT_CODES: Final = frozenset(
    {
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
    }
)


def s3_answer(
    code: str, status: int, text: str, advice: Advice, *, bucket_request: bool = False
) -> Failure:
    """An S3 error answer: its ``Code``, HTTP status (0: none) and ``Message``.
    ``bucket_request``: the request was about the bucket (HeadBucket answers a bare 404)."""
    said = f"{advice.service} answered {code}" + (f" ({text})" if text and text != code else "")
    if code == "NoSuchBucket" or (code == "404" and bucket_request):
        return Failure.refused("the bucket does not exist", advice.missing)
    if code in ("NoSuchKey", "404"):
        return Failure.refused(
            "there is no such object", "check the key; nothing was written there yet"
        )
    if code in S3_REFUSED_CODES:
        return _credentials_refused(advice, said)
    if code in ("AccessDenied", "403", "AllAccessDisabled") or status == 403:
        return _denied(advice, said)
    if code == "NoSuchUpload":
        return Failure(
            "the multipart upload no longer exists (aborted, or expired by a lifecycle rule)",
            f"rerun; {advice.kept}",
        )
    if code in S3_TRANSIENT_CODES or not status:
        return Failure(said, _rerun(advice))
    return _answered(advice, status, said)


def explain_s3(exc: BaseException, advice: Advice, errors: Any) -> Failure:
    """A boto3 client's exception; ``errors`` is ``botocore.exceptions``."""
    if isinstance(exc, errors.ClientError):
        error = exc.response.get("Error", {})
        return s3_answer(
            str(error.get("Code", "?")),
            int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0),
            str(error.get("Message") or "").strip(),
            advice,
            bucket_request="Bucket" in str(getattr(exc, "operation_name", "")),
        )
    if isinstance(exc, errors.NoCredentialsError | errors.PartialCredentialsError):
        return Failure.refused(f"no usable AWS credentials ({exc})", advice.credentials)
    unreachable = (
        errors.EndpointConnectionError,
        errors.ConnectTimeoutError,
        errors.ReadTimeoutError,
        errors.ConnectionClosedError,
    )
    if isinstance(exc, unreachable):
        return _unreachable(advice, str(exc))
    if isinstance(exc, errors.SSLError):
        return _tls(advice, str(exc))
    if isinstance(exc, errors.NoRegionError | errors.ParamValidationError):
        return Failure(str(exc), f"check {advice.settings}", ConfigError)
    if isinstance(exc, errors.BotoCoreError):
        return Failure(str(exc), f"check {advice.settings}; rerun if this was a passing fault")
    return _unexpected(exc)


# --- GCS ---------------------------------------------------------------------------------


def gcs_answer(status: int, said: str, advice: Advice) -> Failure:
    """A GCS JSON API or upload answer of HTTP ``status``; ``said``: its first line."""
    if status == 404:
        return Failure.refused("the bucket or object does not exist (404)", advice.missing)
    if status == 401:
        return _credentials_refused(advice, f"401: {said}")
    if status == 403:
        return _denied(advice, f"403: {said}")
    return _answered(advice, status, f"{advice.service} answered {status}: {said}")


def explain_gcs(
    exc: BaseException, advice: Advice, *, api: Any, auth: Any, media: Any, requests: Any
) -> Failure:
    """A google-cloud-storage client's exception; ``api`` is ``google.api_core.exceptions``,
    ``auth`` ``google.auth.exceptions``, ``media`` ``google.resumable_media.common`` and
    ``requests`` the requests package (the JSON API, the upload protocol, the credential
    refresh and the transport each raise their own)."""
    if isinstance(exc, api.RetryError) and isinstance(exc.cause, Exception):
        exc = exc.cause  # retried until the budget ran out: what failed is what matters
    said = first_line(exc)
    if isinstance(exc, media.DataCorruption):
        return Failure(
            f"the checksum {advice.service} computed does not match the bytes sent ({said})",
            f"rerun; the object was not accepted and {advice.kept}",
        )
    status = None
    if isinstance(exc, api.GoogleAPICallError):
        status = exc.code
    elif isinstance(exc, media.InvalidResponse):
        status = getattr(exc.response, "status_code", None)
    if status is not None:
        return gcs_answer(int(status), said, advice)
    if isinstance(exc, auth.DefaultCredentialsError):
        return Failure.refused(f"no Google credentials found ({said})", advice.credentials)
    if isinstance(exc, auth.RefreshError) and not exc.retryable:
        return Failure.refused(
            f"the credentials were refused by the token endpoint ({said})", advice.credentials
        )
    if isinstance(exc, auth.RefreshError):
        return Failure(f"the token endpoint failed ({said})", _rerun(advice))
    if isinstance(exc, requests.exceptions.SSLError):
        return _tls(advice, said)
    if isinstance(exc, auth.TransportError | requests.ConnectionError | requests.Timeout):
        return _unreachable(advice, said)
    return _unexpected(exc)


# --- Azure Blob Storage --------------------------------------------------------------------

AZURE_REFUSED_CODES: Final = frozenset(
    {"AuthenticationFailed", "InvalidAuthenticationInfo", "NoAuthenticationInformation"}
)


def azure_answer(status: int, code: str, advice: Advice) -> Failure:
    """An Azure Storage answer: HTTP ``status`` and its error code. Only those are quoted:
    the service's text for a failed signature repeats the request's signature."""
    said = f"{advice.service} answered {status} {code}".rstrip()
    if code == "ContainerNotFound":
        return Failure.refused("the container does not exist", advice.missing)
    if code == "BlobNotFound" or status == 404:
        return Failure.refused(
            f"there is no such blob ({said})", "check the key; nothing was written there"
        )
    if code in AZURE_REFUSED_CODES or status == 401:
        return _credentials_refused(advice, said)
    if status == 403:
        return _denied(advice, said)
    return _answered(advice, status, said)


def explain_azure(exc: BaseException, advice: Advice, errors: Any) -> Failure:
    """An azure-storage-blob client's exception; ``errors`` is ``azure.core.exceptions``."""
    if isinstance(exc, errors.HttpResponseError) and exc.status_code is not None:
        error_code = getattr(exc, "error_code", None)  # an enum member or a plain string
        code = str(getattr(error_code, "value", error_code) or exc.reason or "")
        return azure_answer(int(exc.status_code), code, advice)
    if isinstance(exc, errors.ClientAuthenticationError):  # from a credential, no response
        return Failure.refused(
            f"no usable Azure credentials ({first_line(exc)})", advice.credentials
        )
    if isinstance(exc, errors.ServiceRequestError | errors.ServiceResponseError):
        return _unreachable(advice, first_line(exc))
    return _unexpected(exc)
