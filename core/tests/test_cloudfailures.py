"""One translation of S3, GCS and Azure failures: the class, the message, the caller's advice.

The answers are read from real client exception objects (botocore, google-api-core,
google-auth, requests, azure-core), built as the clients build them; what each service
answers on a real server is tested in tests/test_cloud_failures.py.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import requests
from azure.core import exceptions as azure_errors
from botocore import exceptions as boto_errors
from google.api_core import exceptions as api
from google.auth import exceptions as auth
from google.resumable_media import common as media

from elt.cloudfailures import (
    Advice,
    Failure,
    azure_answer,
    explain_azure,
    explain_gcs,
    explain_s3,
    gcs_answer,
    redact,
    s3_answer,
)
from elt.errors import AccessError, ConfigError, EltError, ServiceError

LAKE = Advice(
    service="S3",
    missing="fix the `bucket` setting",
    credentials="check `aws_access_key_id`",
    permissions="s3:PutObject",
    endpoint="`endpoint_url`",
    settings="the S3 settings",
    kept="the bookmark did not move",
)
STATE = Advice(
    service="S3",
    missing="fix state_backend",
    credentials="check the AWS chain",
    permissions="s3:GetObject",
    endpoint="state_backend_settings endpoint_url",
    settings="state_backend",
    kept="the stored bookmark is intact",
)
CLIENTS = {"api": api, "auth": auth, "media": media, "requests": requests}


def client_error(code: str, status: int, message: str = "", operation: str = "PutObject") -> Any:
    response = {"Error": {"Code": code, "Message": message}}
    response["ResponseMetadata"] = {"HTTPStatusCode": status}  # type: ignore[dict-item]
    return boto_errors.ClientError(response, operation)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "status", "bucket_request", "error", "message"),
    [
        ("NoSuchBucket", 404, False, AccessError, "the bucket does not exist"),
        ("404", 404, True, AccessError, "the bucket does not exist"),
        ("NoSuchKey", 404, False, AccessError, "there is no such object"),
        ("InvalidAccessKeyId", 403, False, AccessError, "the credentials were refused"),
        ("SignatureDoesNotMatch", 403, False, AccessError, "the credentials were refused"),
        ("AccessDenied", 403, False, AccessError, "the credentials were refused or lack"),
        ("SlowDown", 503, False, ServiceError, "S3 answered SlowDown"),
        ("RequestTimeout", 400, False, ServiceError, "S3 answered RequestTimeout"),
        ("InternalError", 500, False, ServiceError, "S3 answered InternalError"),
        ("InvalidArgument", 400, False, ConfigError, "S3 answered InvalidArgument"),
        ("NoSuchUpload", 404, False, ServiceError, "the multipart upload no longer exists"),
    ],
)
def test_an_s3_answer_has_one_class_and_message_whoever_asked(
    code: str, status: int, bucket_request: bool, error: type[EltError], message: str
) -> None:
    lake = s3_answer(code, status, "said", LAKE, bucket_request=bucket_request)
    state = s3_answer(code, status, "said", STATE, bucket_request=bucket_request)
    assert (lake.error, state.error) == (error, error)
    assert lake.message == state.message
    assert lake.message.startswith(message)


def test_the_advice_is_what_differs_in_the_callers_own_words() -> None:
    lake = s3_answer("NoSuchBucket", 404, "", LAKE)
    state = s3_answer("NoSuchBucket", 404, "", STATE)
    assert (lake.hint, state.hint) == ("fix the `bucket` setting", "fix state_backend")
    denied = s3_answer("AccessDenied", 403, "Access Denied", STATE)
    assert denied.message == (
        "the credentials were refused or lack permission (S3 answered AccessDenied (Access Denied))"
    )
    assert denied.hint == "they must allow s3:GetObject; check the AWS chain"
    assert s3_answer("InternalError", 500, "", STATE).hint.endswith("the stored bookmark is intact")


@pytest.mark.parametrize(
    ("exc", "error", "message"),
    [
        (client_error("404", 404, operation="HeadBucket"), AccessError, "the bucket does not"),
        (boto_errors.NoCredentialsError(), AccessError, "no usable AWS credentials"),
        (
            boto_errors.EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
            ServiceError,
            "S3 could not be reached",
        ),
        (
            boto_errors.SSLError(endpoint_url="https://x", error="bad cert"),
            ConfigError,
            "the TLS connection to S3 failed",
        ),
        (boto_errors.NoRegionError(), ConfigError, "You must specify a region"),
        (RuntimeError("boom"), ServiceError, "RuntimeError: boom"),
    ],
)
def test_botocore_exceptions_are_explained(
    exc: Exception, error: type[EltError], message: str
) -> None:
    failure = explain_s3(exc, LAKE, boto_errors)
    assert failure.error is error
    assert failure.message.startswith(message)


@pytest.mark.parametrize(
    ("exc", "error", "message"),
    [
        (api.NotFound("no bucket"), AccessError, "the bucket or object does not exist (404)"),
        (api.Unauthorized("who"), AccessError, "the credentials were refused (401: 401 who)"),
        (
            api.Forbidden("nope"),
            AccessError,
            "the credentials were refused or lack permission (403",
        ),
        (api.TooManyRequests("slow"), ServiceError, "GCS answered 429"),
        (api.InternalServerError("oops"), ServiceError, "GCS answered 500"),
        (api.BadRequest("bad"), ConfigError, "GCS answered 400"),
        (
            api.RetryError("gave up", api.ServiceUnavailable("busy")),
            ServiceError,
            "GCS answered 503",
        ),
        (auth.DefaultCredentialsError("none"), AccessError, "no Google credentials found"),
        (auth.RefreshError("invalid_grant"), AccessError, "the credentials were refused by"),
        (auth.TransportError("down"), ServiceError, "GCS could not be reached"),
        (requests.ConnectionError("refused"), ServiceError, "GCS could not be reached"),
        (requests.exceptions.SSLError("cert"), ConfigError, "the TLS connection to GCS failed"),
    ],
)
def test_google_exceptions_are_explained(
    exc: Exception, error: type[EltError], message: str
) -> None:
    advice = replace(LAKE, service="GCS")
    failure = explain_gcs(exc, advice, **CLIENTS)
    assert failure.error is error
    assert failure.message.startswith(message)
    assert gcs_answer(404, "x", advice).error is AccessError


@pytest.mark.parametrize(
    ("status", "code", "error", "message"),
    [
        (404, "ContainerNotFound", AccessError, "the container does not exist"),
        (404, "BlobNotFound", AccessError, "there is no such blob"),
        (403, "AuthenticationFailed", AccessError, "the credentials were refused"),
        (403, "AuthorizationPermissionMismatch", AccessError, "the credentials were refused or"),
        (503, "ServerBusy", ServiceError, "Azure Blob Storage answered 503 ServerBusy"),
        (409, "ContainerBeingDeleted", ConfigError, "Azure Blob Storage answered 409"),
    ],
)
def test_an_azure_answer_is_its_status_and_code_only(
    status: int, code: str, error: type[EltError], message: str
) -> None:
    advice = replace(LAKE, service="Azure Blob Storage")
    failure = azure_answer(status, code, advice)
    assert failure.error is error
    assert failure.message.startswith(message)


def test_azure_exceptions_without_an_answer_are_explained() -> None:
    advice = replace(LAKE, service="Azure Blob Storage")
    unreachable = explain_azure(azure_errors.ServiceRequestError("refused"), advice, azure_errors)
    assert (unreachable.error, unreachable.message) == (
        ServiceError,
        "Azure Blob Storage could not be reached (refused)",
    )
    no_login = explain_azure(azure_errors.ClientAuthenticationError("no"), advice, azure_errors)
    assert no_login.error is AccessError


def test_redaction_removes_given_secrets_and_signed_url_parameters() -> None:
    text = "GET https://a.blob.core.windows.net/c?sv=1&sig=abc%2Fdef&se=2 with key s3cret"
    assert redact(text, ["s3cret", None]) == (
        "GET https://a.blob.core.windows.net/c?sv=1&sig=***&se=2 with key ***"
    )


def test_the_error_names_what_was_done_where_and_keeps_secrets_out() -> None:
    failure = Failure("the server said token=abc and key s3cret", "rerun")
    error = failure.error_for("writing the state", "s3://b/k", ["s3cret"])
    assert isinstance(error, ServiceError)
    assert str(error) == (
        "s3://b/k: writing the state failed: the server said token=*** and key ***. Rerun"
    )
