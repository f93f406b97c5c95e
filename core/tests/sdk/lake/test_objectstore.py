"""Keys under a prefix, fixed-size parts and guarded calls, shared by the cloud object stores."""

from __future__ import annotations

import pytest

from elt.cloudfailures import Failure
from elt.errors import AccessError, ConfigError, ServiceError
from elt.sdk.lake.objectstore import (
    PartBuffer,
    described_key,
    guarded_call,
    listing_prefix,
    object_key,
    relative_key,
    store_prefix,
)


@pytest.mark.parametrize(
    ("given", "expected"), [(None, ""), ("", ""), ("/a/b/", "a/b"), ("a", "a")]
)
def test_a_prefix_loses_its_outer_slashes(given: str | None, expected: str) -> None:
    assert store_prefix(given) == expected


@pytest.mark.parametrize(
    ("prefix", "key", "shown"), [("", "", ""), ("raw", "", "raw"), ("raw", "a/b", "raw/a/b")]
)
def test_a_message_may_name_the_root_or_prefix_folder_as_well_as_a_key(
    prefix: str, key: str, shown: str
) -> None:
    assert described_key(prefix, key) == shown


@pytest.mark.parametrize("prefix", ["a/../b", "a//b", "./a", "a\\b"])
def test_a_prefix_with_a_dot_dot_empty_segment_or_backslash_is_a_config_error(prefix: str) -> None:
    with pytest.raises(ConfigError, match="`prefix`"):
        store_prefix(prefix)


def test_keys_go_under_the_prefix_and_come_back_without_it() -> None:
    assert object_key("raw", "s/part.jsonl") == "raw/s/part.jsonl"
    assert object_key("", "s/part.jsonl") == "s/part.jsonl"
    assert relative_key("raw", "raw/s/part.jsonl") == "s/part.jsonl"
    assert listing_prefix("raw", "s/") == "raw/s/"


@pytest.mark.parametrize("key", ["", "/abs", "..", "a/../../b", "a/./b", "a//b", "a\\b", "a/"])
def test_a_key_that_could_escape_the_prefix_is_refused(key: str) -> None:
    with pytest.raises(ConfigError, match="refusing the object key"):
        object_key("raw", key)


def test_a_listing_prefix_cannot_walk_out() -> None:
    with pytest.raises(ConfigError):
        listing_prefix("raw", "../other")


def test_parts_come_out_whole_whatever_the_write_sizes() -> None:
    buffer = PartBuffer(4)
    parts = [p for chunk in (b"a", b"bcdefg", b"hij", b"") for p in buffer.add(chunk)]
    assert parts == [b"abcd", b"efgh"]
    assert len(buffer) == 2
    assert buffer.rest() == b"ij"
    assert buffer.rest() == b""


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (Failure("unreachable", "check the endpoint"), ServiceError),
        (Failure.refused("the credentials were refused", "check the key"), AccessError),
        (Failure.of_status(503, "busy", "rerun"), ServiceError),
        (Failure.of_status(429, "throttled", "rerun"), ServiceError),
        (Failure.of_status(403, "denied", "grant"), AccessError),
        (Failure.of_status(404, "no bucket", "create it"), AccessError),
        (Failure.of_status(400, "bad request", "fix it"), ConfigError),
    ],
)
def test_a_client_failure_is_raised_as_the_class_its_explanation_names(
    failure: Failure, error: type[Exception]
) -> None:
    def request() -> None:
        raise RuntimeError("with sig=SECRET in it")

    with pytest.raises(error) as caught:
        guarded_call(request, lambda exc: failure, where="s3://b/k", doing="writing")
    assert type(caught.value) is error
    assert str(caught.value).startswith(f"s3://b/k: writing failed: {failure.message}")
