"""S3Store against a real moto server: the shared contract, plus S3's own proofs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from target_s3 import S3Store, connect
from target_s3.store import MIN_PART_SIZE

from elt.errors import ConfigError
from tests.fixtures.services import (
    S3Bucket,
    free_port,
    running_server,
    s3_client,
    unique_name,
)
from tests.fixtures.stores import PREFIX, ObjectStoreContract, payload

SECRET = "wJalrXUtnFEMI-not-the-real-secret-K7MDENG"


def settings(bucket: S3Bucket, **overrides: Any) -> dict[str, Any]:
    return {
        "bucket": bucket.name,
        "endpoint_url": bucket.endpoint_url,
        "region": "us-east-1",
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
        "part_size": MIN_PART_SIZE,
        **overrides,
    }


def open_store(where: Any, prefix: str = PREFIX, **overrides: Any) -> S3Store:
    """The store the test settings describe, rooted at ``prefix`` as the contract wants."""
    return connect(settings(where, **overrides), prefix=prefix)


@pytest.fixture(scope="module")
def strict_s3_endpoint(services_log_dir: Path) -> Iterator[str]:
    """A moto server that checks credentials (moto accepts any by default)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    env = {"INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    with running_server("moto-strict", argv, services_log_dir, f"{url}/moto-api/", env):
        yield url


class TestS3Store(ObjectStoreContract):
    part_size = MIN_PART_SIZE

    def bytes_held(self, store: Any, upload: Any) -> int:
        parts = store.client.list_parts(
            Bucket=store.bucket, Key=upload.key, UploadId=upload.upload_id
        )
        return sum(part["Size"] for part in parts.get("Parts", ()))

    @pytest.fixture
    def store(self, s3_bucket: S3Bucket) -> S3Store:
        return open_store(s3_bucket)

    @pytest.fixture
    def sibling_store(self, s3_bucket: S3Bucket) -> S3Store:
        return open_store(s3_bucket, prefix=f"{PREFIX}-old")

    @pytest.fixture
    def bucket_keys(self, s3_bucket: S3Bucket) -> Callable[[], list[str]]:
        client = s3_client(s3_bucket.endpoint_url)

        def keys() -> list[str]:
            listed = client.list_objects_v2(Bucket=s3_bucket.name)
            return sorted(obj["Key"] for obj in listed.get("Contents", ()))

        return keys

    @pytest.fixture
    def missing_bucket_store(self, s3_endpoint: str) -> S3Store:
        return open_store(S3Bucket(s3_endpoint, unique_name("missing")))

    @pytest.fixture
    def unreachable_store(self) -> S3Store:
        return open_store(S3Bucket(f"http://127.0.0.1:{free_port()}", "nowhere"))

    @pytest.fixture
    def overloaded_store(self, overloaded_endpoint: str) -> S3Store:
        return open_store(S3Bucket(overloaded_endpoint, "busy"))

    @pytest.fixture
    def refused_secret(self) -> str:
        return SECRET

    @pytest.fixture
    def refused_store(self, strict_s3_endpoint: str) -> S3Store:
        bucket = S3Bucket(strict_s3_endpoint, "anything")
        return open_store(bucket, aws_access_key_id="AKIAWRONG", aws_secret_access_key=SECRET)

    @pytest.fixture
    def breakable_store(self, s3_bucket: S3Bucket) -> tuple[S3Store, Callable[[], None]]:
        """The bucket is deleted under the upload."""
        client = s3_client(s3_bucket.endpoint_url)

        def delete() -> None:
            for upload in client.list_multipart_uploads(Bucket=s3_bucket.name).get("Uploads", ()):
                client.abort_multipart_upload(
                    Bucket=s3_bucket.name, Key=upload["Key"], UploadId=upload["UploadId"]
                )
            client.delete_bucket(Bucket=s3_bucket.name)

        return open_store(s3_bucket), delete

    # --- S3's own proofs ------------------------------------------------------------------

    def test_a_large_object_is_one_multipart_upload_with_one_etag_per_part(
        self, store: S3Store
    ) -> None:
        data = payload(2 * MIN_PART_SIZE + 1)
        upload = store.open("big.bin")
        upload.write(data)
        upload.commit()
        head = store.client.head_object(Bucket=store.bucket, Key=f"{PREFIX}/big.bin")
        assert head["ETag"].strip('"').endswith("-3")
        assert head["ContentLength"] == len(data)

    def test_a_small_object_is_a_single_put_without_a_multipart_upload(
        self, store: S3Store
    ) -> None:
        upload = store.open("small.bin")
        upload.write(b"x" * 1000)
        assert upload.upload_id is None
        upload.commit()
        head = store.client.head_object(Bucket=store.bucket, Key=f"{PREFIX}/small.bin")
        assert "-" not in head["ETag"]

    def test_abort_removes_the_multipart_upload_and_its_parts(self, store: S3Store) -> None:
        upload = store.open("aborted.bin")
        upload.write(payload(MIN_PART_SIZE))
        assert upload.upload_id is not None
        upload.abort()
        listed = store.client.list_multipart_uploads(Bucket=store.bucket)
        assert listed.get("Uploads", []) == []

    def test_a_part_size_below_five_mib_is_a_config_error(self, s3_bucket: S3Bucket) -> None:
        with pytest.raises(ConfigError, match="5 MiB"):
            open_store(s3_bucket, part_size=MIN_PART_SIZE - 1)

    def test_half_a_key_pair_is_a_config_error(self, s3_bucket: S3Bucket) -> None:
        with pytest.raises(ConfigError, match="both"):
            open_store(s3_bucket, aws_secret_access_key=None)

    def test_a_prefix_with_dot_dot_is_a_config_error(self, s3_bucket: S3Bucket) -> None:
        with pytest.raises(ConfigError, match="prefix"):
            open_store(s3_bucket, prefix="lake/../other")
