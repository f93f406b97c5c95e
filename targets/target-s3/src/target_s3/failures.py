"""botocore's exceptions, sorted once into one-paragraph messages of the right class.

Refused or missing credentials, access denied and a missing bucket are
:class:`~elt.errors.AccessError` (exit 78: a retry cannot help); an unreachable endpoint,
timeouts, throttling and 5xx are :class:`~elt.errors.ServiceError` (75); other statuses
follow :func:`elt.errors.http_status_error`. A person reading the message should know which
object, what S3 said, and what to change — and never see a key: botocore's texts carry no
credentials, and :func:`~elt.sdk.lake.objectstore.redact` removes any configured secret and
signed-URL parameter in case one slipped in.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
    SSLError,
)

from elt.errors import ConfigError
from elt.sdk.lake.objectstore import Failure

__all__ = ["explain"]

CREDENTIALS_HINT = (
    "check aws_access_key_id, aws_secret_access_key and aws_session_token, or the AWS "
    "credential chain (AWS_PROFILE, environment, instance role) if they are not set"
)
REFUSED_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "AuthorizationHeaderMalformed",
}
# Answers botocore's own retry treats as passing (S3 sends RequestTimeout as a 400).
TRANSIENT_CODES = {
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
RERUN_HINT = "rerun later if S3 is having trouble; the bookmark did not move"
SETTINGS_HINT = "check the S3 settings (`bucket`, `region`, `endpoint_url`)"
UNREACHABLE = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)


def explain(exc: Exception) -> Failure:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "?"))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        text = str(error.get("Message") or "").strip()
        said = f"S3 answered {code}" + (f" ({text})" if text and text != code else "")
        if code in ("NoSuchBucket",) or (code == "404" and "Bucket" in exc.operation_name):
            return Failure.refused(
                "the bucket does not exist", "create it, or fix the `bucket` setting"
            )
        if code in ("NoSuchKey", "404"):
            return Failure.refused(
                "there is no such object", "check the key; nothing was written there yet"
            )
        if code in REFUSED_CODES:
            return Failure.refused(f"the credentials were refused: {said}", CREDENTIALS_HINT)
        if code in ("AccessDenied", "403", "AllAccessDisabled") or status == 403:
            return Failure.refused(
                f"access denied: {said}",
                "the credentials are refused or lack s3:ListBucket, s3:GetObject, "
                "s3:PutObject or s3:AbortMultipartUpload on this bucket and prefix; "
                + CREDENTIALS_HINT,
            )
        if code == "NoSuchUpload":
            return Failure(
                "the multipart upload no longer exists (aborted, or expired by a lifecycle rule)",
                "rerun; the bookmark did not move past this file",
            )
        if code in TRANSIENT_CODES or not status:
            return Failure(said, RERUN_HINT)
        return Failure.of_status(status, said, RERUN_HINT if status >= 500 else SETTINGS_HINT)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return Failure.refused(f"no usable AWS credentials ({exc})", CREDENTIALS_HINT)
    if isinstance(exc, UNREACHABLE):
        return Failure(
            f"S3 could not be reached ({exc})",
            "check `endpoint_url`, `region` and the network; the server may be down",
        )
    if isinstance(exc, SSLError):
        return Failure(
            f"the TLS connection to S3 failed ({exc})",
            "check `endpoint_url` and the certificates this machine trusts",
            ConfigError,
        )
    if isinstance(exc, NoRegionError | ParamValidationError):
        return Failure(str(exc), SETTINGS_HINT, ConfigError)
    if isinstance(exc, BotoCoreError):
        return Failure(str(exc), "check the S3 settings; rerun if this was a passing fault")
    return Failure(f"{type(exc).__name__}: {exc}", "rerun; if it happens again, report it as a bug")
