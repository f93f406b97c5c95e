"""TargetS3 end to end against moto: the shared lake-target contract, plus multipart proof."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from target_s3 import S3Store, TargetS3, connect
from target_s3.store import MIN_PART_SIZE

from tests.fixtures.laketargets import (
    PREFIX,
    LakeTargetContract,
    data_keys,
    lines,
    records,
    run_in_process,
    schema,
    state,
)
from tests.fixtures.services import S3Bucket, free_port, running_server, unique_name

SECRET = "wJalrXUtnFEMI-not-the-real-secret-K7MDENG"


def target_config(endpoint_url: str, bucket: str, **overrides: Any) -> dict[str, Any]:
    return {
        "bucket": bucket,
        "endpoint_url": endpoint_url,
        "region": "us-east-1",
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
        "part_size": MIN_PART_SIZE,
        "prefix": PREFIX,
        **overrides,
    }


class TestTargetS3(LakeTargetContract):
    target_class = TargetS3
    executable = "target-s3"

    @pytest.fixture
    def config(self, s3_bucket: S3Bucket) -> dict[str, Any]:
        return target_config(*s3_bucket)

    @pytest.fixture
    def bucket_store(self, config: dict[str, Any]) -> S3Store:
        return connect(config)

    @pytest.fixture
    def minimal_config(self, s3_bucket: S3Bucket) -> tuple[dict[str, Any], dict[str, str]]:
        """Only `bucket`: the endpoint and keys come from the AWS chain's environment."""
        return {"bucket": s3_bucket.name}, {
            "AWS_ENDPOINT_URL": s3_bucket.endpoint_url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    @pytest.fixture
    def missing_bucket_config(self, s3_endpoint: str) -> dict[str, Any]:
        return target_config(s3_endpoint, unique_name("missing"))

    @pytest.fixture
    def unreachable_config(self) -> dict[str, Any]:
        return target_config(f"http://127.0.0.1:{free_port()}", "nowhere")

    @pytest.fixture
    def overloaded_config(self, overloaded_endpoint: str) -> dict[str, Any]:
        return target_config(overloaded_endpoint, "busy")

    @pytest.fixture
    def refused_secret(self) -> str:
        return SECRET

    @pytest.fixture
    def refused_config(self, services_log_dir: Path) -> Iterator[dict[str, Any]]:
        """A moto server that checks credentials (moto accepts any by default)."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        env = {"INITIAL_NO_AUTH_ACTION_COUNT": "0"}
        with running_server("moto-strict", argv, services_log_dir, f"{url}/moto-api/", env):
            yield target_config(
                url, "anything", aws_access_key_id="AKIAWRONG", aws_secret_access_key=SECRET
            )

    @pytest.fixture
    def breakable_config(
        self, services_log_dir: Path
    ) -> Iterator[tuple[dict[str, Any], Callable[[], None]]]:
        """A private moto server, stopped while the target runs."""
        from tests.fixtures.services import s3_client, stop_process

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        with running_server("moto-doomed", argv, services_log_dir, f"{url}/moto-api/") as server:
            s3_client(url).create_bucket(Bucket="doomed")
            yield target_config(url, "doomed"), lambda: stop_process(server.process)

    def test_a_file_larger_than_a_part_is_one_multipart_upload(
        self, config: dict[str, Any], bucket_store: S3Store
    ) -> None:
        sent = records("wide", range(120_000), width=60)
        messages = [schema("wide"), *sent, state({"b": 1})]
        settings = {**config, "compression": "none", "max_bytes": 1 << 30}
        assert run_in_process(TargetS3, settings, lines(messages)).states == [{"b": 1}]
        (key,) = data_keys(bucket_store)
        head = bucket_store.client.head_object(Bucket=bucket_store.bucket, Key=key)
        parts = head["ETag"].strip('"').rpartition("-")[2]  # a multipart ETag ends in -<parts>
        assert head["ContentLength"] > MIN_PART_SIZE
        assert parts == str(-(-head["ContentLength"] // MIN_PART_SIZE))
