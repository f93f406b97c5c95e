from __future__ import annotations

import pytest

from elt.errors import ConfigError
from elt.state.urls import redact_url, split_bucket_url, url_secrets


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://me:s3cret@db:5432/x", "postgresql://me:********@db:5432/x"),
        ("postgresql://me:p%40ss@db/x", "postgresql://me:********@db/x"),
        ("postgresql://me@db/x?sslmode=require", "postgresql://me@db/x?sslmode=require"),
        (
            "postgresql://db/x?password=pw&sslpassword=k",
            "postgresql://db/x?password=********&sslpassword=********",
        ),
        ("s3://KEY:SECRET@bucket/prefix", "s3://KEY:********@bucket/prefix"),
        ("gs://bucket/prefix", "gs://bucket/prefix"),
    ],
)
def test_a_url_is_shown_with_its_password_and_secret_parameters_masked(
    url: str, shown: str
) -> None:
    assert redact_url(url) == shown


def test_the_secrets_of_a_url_are_listed_decoded_and_encoded_for_scrubbing() -> None:
    assert set(url_secrets("postgresql://me:p%40ss@db/x?sslpassword=k")) == {"p@ss", "p%40ss", "k"}
    assert url_secrets("postgresql://me@db/x") == []


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://bucket", "bucket", ""),
        ("s3://bucket/", "bucket", ""),
        ("s3://bucket/elt/state", "bucket", "elt/state/"),
        ("s3://bucket//elt///state/", "bucket", "elt/state/"),
    ],
)
def test_a_bucket_url_splits_into_bucket_and_a_folder_prefix(
    url: str, bucket: str, prefix: str
) -> None:
    assert split_bucket_url(url, "s3") == (bucket, prefix)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("s3:///prefix", "does not name a bucket"),
        ("s3://key:secret@bucket/x", "does not name a bucket"),
        ("s3://bucket/a/../b", "may not contain . or .. segments"),
        ("s3://bucket/x?endpoint_url=http://h", "has a query or fragment"),
    ],
)
def test_a_bucket_url_that_is_not_one_is_a_config_error_without_secrets(
    url: str, problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem) as raised:
        split_bucket_url(url, "s3")
    assert "secret" not in str(raised.value)
