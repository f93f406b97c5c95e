"""botocore's exceptions, sorted once into one-paragraph :class:`ServiceError` messages.

A person reading the message should know which object, what S3 said, and what to change —
and never see a key: botocore's texts carry no credentials, and
:func:`~elt.sdk.lake.objectstore.redact` removes any configured secret and signed-URL
parameter in case one slipped in.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)

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
UNREACHABLE = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)


def explain(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "?"))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        text = str(error.get("Message") or "").strip()
        said = f"S3 answered {code}" + (f" ({text})" if text and text != code else "")
        if code in ("NoSuchBucket",) or (code == "404" and "Bucket" in exc.operation_name):
            return "the bucket does not exist", "create it, or fix the `bucket` setting"
        if code in ("NoSuchKey", "404"):
            return "there is no such object", "check the key; nothing was written there yet"
        if code in REFUSED_CODES:
            return f"the credentials were refused: {said}", CREDENTIALS_HINT
        if code in ("AccessDenied", "403", "AllAccessDisabled") or status == 403:
            return (
                f"access denied: {said}",
                "the credentials are refused or lack s3:ListBucket, s3:GetObject, "
                "s3:PutObject or s3:AbortMultipartUpload on this bucket and prefix; "
                + CREDENTIALS_HINT,
            )
        if code == "NoSuchUpload":
            return (
                "the multipart upload no longer exists (aborted, or expired by a lifecycle rule)",
                "rerun; the bookmark did not move past this file",
            )
        return said, "rerun later if S3 is having trouble; the bookmark did not move"
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return f"no usable AWS credentials ({exc})", CREDENTIALS_HINT
    if isinstance(exc, UNREACHABLE):
        return (
            f"S3 could not be reached ({exc})",
            "check `endpoint_url`, `region` and the network; the server may be down",
        )
    if isinstance(exc, BotoCoreError):
        return str(exc), "check the S3 settings; rerun if this was a passing fault"
    return f"{type(exc).__name__}: {exc}", "rerun; if it happens again, report it as a bug"
