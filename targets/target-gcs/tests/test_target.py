"""TargetGcs end to end against gcp-storage-emulator: the shared contract, plus chunked proof."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from target_gcs import GcsStore, TargetGcs, connect
from target_gcs.store import CHUNK_MULTIPLE

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
from tests.fixtures.services import (
    GcsBucket,
    free_port,
    gcs_emulator,
    stop_process,
    unique_name,
)


def target_config(endpoint: str, bucket: str, **overrides: Any) -> dict[str, Any]:
    return {
        "bucket": bucket,
        "endpoint": endpoint,
        "anonymous": True,
        "chunk_size": CHUNK_MULTIPLE,
        "prefix": PREFIX,
        **overrides,
    }


class CountingTargetGcs(TargetGcs):
    """TargetGcs counting the upload requests its real client sends."""

    requests: list[str] = []  # noqa: RUF012 - one test at a time reads it

    def open_store(self) -> Any:
        store = super().open_store()
        store.session.hooks["response"].append(
            lambda response, *args, **kwargs: self.requests.append(
                f"{response.request.method} {response.status_code}"
            )
        )
        return store


class TestTargetGcs(LakeTargetContract):
    target_class = TargetGcs
    executable = "target-gcs"

    @pytest.fixture
    def config(self, gcs_bucket: GcsBucket) -> dict[str, Any]:
        return target_config(*gcs_bucket)

    @pytest.fixture
    def bucket_store(self, config: dict[str, Any]) -> GcsStore:
        return connect(config)

    @pytest.fixture
    def minimal_config(self, gcs_bucket: GcsBucket) -> tuple[dict[str, Any], dict[str, str]]:
        """Only `bucket`: STORAGE_EMULATOR_HOST points the client at the emulator."""
        return {"bucket": gcs_bucket.name}, {"STORAGE_EMULATOR_HOST": gcs_bucket.endpoint_url}

    @pytest.fixture
    def missing_bucket_config(self, gcs_endpoint: str) -> dict[str, Any]:
        return target_config(gcs_endpoint, unique_name("missing"))

    @pytest.fixture
    def unreachable_config(self) -> dict[str, Any]:
        return target_config(f"http://127.0.0.1:{free_port()}", "nowhere")

    @pytest.fixture
    def overloaded_config(self, overloaded_endpoint: str) -> dict[str, Any]:
        return target_config(overloaded_endpoint, "busy")

    @pytest.fixture
    def refused_secret(self, refused_key_line: str) -> str:
        return refused_key_line

    @pytest.fixture
    def refused_config(self, gcs_bucket: GcsBucket, refused_key_file: Path) -> dict[str, Any]:
        return target_config(*gcs_bucket, anonymous=False, credentials_path=str(refused_key_file))

    @pytest.fixture
    def breakable_config(
        self, services_log_dir: Path
    ) -> Iterator[tuple[dict[str, Any], Callable[[], None]]]:
        """A private emulator, stopped while the target runs."""
        with gcs_emulator("gcs-doomed", services_log_dir) as (url, server):
            client = storage.Client(
                project="test",
                credentials=AnonymousCredentials(),
                client_options={"api_endpoint": url},
            )
            client.create_bucket("doomed")
            yield target_config(url, "doomed"), lambda: stop_process(server.process)

    def test_a_file_larger_than_a_chunk_goes_up_chunk_by_chunk(
        self, config: dict[str, Any], bucket_store: GcsStore
    ) -> None:
        sent = records("wide", range(20_000), width=60)
        messages = [schema("wide"), *sent, state({"b": 1})]
        CountingTargetGcs.requests = []
        settings = {**config, "compression": "none"}
        assert run_in_process(CountingTargetGcs, settings, lines(messages)).states == [{"b": 1}]
        (key,) = data_keys(bucket_store)
        size = len(bucket_store.read(key))
        chunks = CountingTargetGcs.requests.count("PUT 308")
        assert size > 2 * CHUNK_MULTIPLE
        assert chunks == size // CHUNK_MULTIPLE
