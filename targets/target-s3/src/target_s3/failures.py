"""botocore's exceptions, sorted into elt's error classes by :mod:`elt.cloudfailures`.

The translation of S3's answers (which codes mean a missing bucket, refused credentials,
throttling…) is the one the ``s3://`` state backend uses too; what is this target's own is
the advice, which names its settings. Refused or missing credentials, access denied and a
missing bucket are :class:`~elt.errors.AccessError` (exit 78); an unreachable endpoint,
timeouts, throttling and 5xx :class:`~elt.errors.ServiceError` (75). botocore's texts carry
no credentials, and :func:`~elt.cloudfailures.redact` removes any configured secret and
signed-URL parameter in case one slipped in.
"""

from __future__ import annotations

from botocore import exceptions

from elt.cloudfailures import Advice, Failure, explain_s3

__all__ = ["ADVICE", "explain"]

ADVICE = Advice(
    service="S3",
    missing="create it, or fix the `bucket` setting",
    credentials=(
        "check aws_access_key_id, aws_secret_access_key and aws_session_token, or the AWS "
        "credential chain (AWS_PROFILE, environment, instance role) if they are not set"
    ),
    permissions=(
        "s3:ListBucket, s3:GetObject, s3:PutObject or s3:AbortMultipartUpload on this bucket "
        "and prefix"
    ),
    endpoint="`endpoint_url`, `region`",
    settings="the S3 settings (`bucket`, `region`, `endpoint_url`)",
    kept="the bookmark did not move",
)


def explain(exc: Exception) -> Failure:
    return explain_s3(exc, ADVICE, exceptions)
