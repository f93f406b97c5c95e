"""GcsStore against a real gcp-storage-emulator: the shared contract, plus GCS's own proofs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from target_gcs import GcsStore, connect
from target_gcs.store import CHUNK_MULTIPLE

from elt.errors import ConfigError
from tests.fixtures.services import (
    GcsBucket,
    free_port,
    gcs_emulator,
    stop_process,
    unique_name,
)
from tests.fixtures.stores import PREFIX, ObjectStoreContract, payload


def settings(bucket: GcsBucket, **overrides: Any) -> dict[str, Any]:
    return {
        "bucket": bucket.name,
        "endpoint": bucket.endpoint_url,
        "anonymous": True,
        "chunk_size": CHUNK_MULTIPLE,
        **overrides,
    }


def open_store(where: Any, prefix: str = PREFIX, **overrides: Any) -> GcsStore:
    """The store the test settings describe, rooted at ``prefix`` as the contract wants."""
    return connect(settings(where, **overrides), prefix=prefix)


def emulator_client(endpoint: str) -> storage.Client:
    return storage.Client(
        project="test",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": endpoint},
    )


class TestGcsStore(ObjectStoreContract):
    part_size = CHUNK_MULTIPLE

    def bytes_held(self, store: Any, upload: Any) -> int:
        """Ask the session how much it holds (a status query, as a resuming client would)."""
        answer = requests.put(
            upload.session.resumable_url, headers={"Content-Range": "bytes */*"}, timeout=10
        )
        assert answer.status_code == 308
        return int(answer.headers["Range"].rpartition("-")[2]) + 1

    @pytest.fixture
    def store(self, gcs_bucket: GcsBucket) -> GcsStore:
        return open_store(gcs_bucket)

    @pytest.fixture
    def sibling_store(self, gcs_bucket: GcsBucket) -> GcsStore:
        return open_store(gcs_bucket, prefix=f"{PREFIX}-old")

    @pytest.fixture
    def bucket_keys(self, gcs_bucket: GcsBucket) -> Callable[[], list[str]]:
        client = emulator_client(gcs_bucket.endpoint_url)
        return lambda: sorted(blob.name for blob in client.list_blobs(gcs_bucket.name))

    @pytest.fixture
    def missing_bucket_store(self, gcs_endpoint: str) -> GcsStore:
        return open_store(GcsBucket(gcs_endpoint, unique_name("missing")))

    @pytest.fixture
    def unreachable_store(self) -> GcsStore:
        return open_store(GcsBucket(f"http://127.0.0.1:{free_port()}", "nowhere"))

    @pytest.fixture
    def overloaded_store(self, overloaded_endpoint: str) -> GcsStore:
        return open_store(GcsBucket(overloaded_endpoint, "busy"))

    @pytest.fixture
    def refused_secret(self, refused_key_line: str) -> str:
        return refused_key_line

    @pytest.fixture
    def refused_store(self, gcs_bucket: GcsBucket, refused_key_file: Path) -> GcsStore:
        return open_store(gcs_bucket, anonymous=False, credentials_path=str(refused_key_file))

    @pytest.fixture
    def breakable_store(
        self, services_log_dir: Path
    ) -> Iterator[tuple[GcsStore, Callable[[], None]]]:
        """A private emulator, stopped under the upload (it will not delete a bucket with an
        upload in progress)."""
        with gcs_emulator("gcs-doomed", services_log_dir) as (url, server):
            bucket = GcsBucket(url, unique_name("doomed"))
            emulator_client(url).create_bucket(bucket.name)
            yield open_store(bucket), lambda: stop_process(server.process)

    # --- GCS's own proofs -----------------------------------------------------------------

    def test_a_large_object_goes_up_in_one_request_per_chunk(self, store: GcsStore) -> None:
        sent: list[str] = []
        store.session.hooks["response"].append(
            lambda response, *args, **kwargs: sent.append(
                f"{response.request.method} {response.status_code}"
            )
        )
        data = payload(3 * CHUNK_MULTIPLE + 10)
        upload = store.open("big.bin")
        upload.write(data)
        assert sent == ["POST 200", "PUT 308", "PUT 308", "PUT 308"]
        upload.commit()
        assert sent[4:] == ["PUT 200"]
        assert store.read("big.bin") == data

    def test_a_chunk_size_not_a_multiple_of_256_kib_is_a_config_error(
        self, gcs_bucket: GcsBucket
    ) -> None:
        with pytest.raises(ConfigError, match="256 KiB"):
            open_store(gcs_bucket, chunk_size=CHUNK_MULTIPLE + 1)

    def test_an_unreadable_key_file_is_a_config_error_naming_it(
        self, gcs_bucket: GcsBucket, tmp_path: Path
    ) -> None:
        missing = tmp_path / "nope.json"
        with pytest.raises(ConfigError, match=r"nope\.json"):
            open_store(gcs_bucket, anonymous=False, credentials_path=str(missing))

    def test_without_endpoint_the_store_talks_to_the_public_api(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The README's default for `endpoint` (no request is sent)."""
        monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
        store = connect({"bucket": "any", "anonymous": True})
        assert store.upload_url().startswith("https://storage.googleapis.com/upload/")
