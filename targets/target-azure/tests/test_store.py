"""AzureStore against a real Azurite: the shared contract, plus Azure's own proofs."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient
from target_azure import AzureStore, connect

from elt.errors import AccessError, ConfigError
from tests.fixtures.services import (
    AZURITE_ACCOUNT,
    AzureContainer,
    azurite_conn_str,
    free_port,
    unique_name,
)
from tests.fixtures.stores import PREFIX, ObjectStoreContract, payload

BLOCK = 256 * 1024
WRONG_KEY = base64.b64encode(b"not the account key, but shaped like one!" * 2).decode()


def settings(container: AzureContainer, **overrides: Any) -> dict[str, Any]:
    return {
        "container": container.name,
        "connection_string": container.conn_str,
        "block_size": BLOCK,
        **overrides,
    }


def open_store(where: Any, prefix: str = PREFIX, **overrides: Any) -> AzureStore:
    """The store the test settings describe, rooted at ``prefix`` as the contract wants."""
    return connect(settings(where, **overrides), prefix=prefix)


def blob_endpoint(conn_str: str) -> str:
    return conn_str.split("BlobEndpoint=")[1].rstrip(";")


class TestAzureStore(ObjectStoreContract):
    part_size = BLOCK

    def bytes_held(self, store: Any, upload: Any) -> int:
        _, uncommitted = upload.blob.get_block_list("uncommitted")
        return sum(block.size for block in uncommitted)

    @pytest.fixture
    def store(self, azure_container: AzureContainer) -> AzureStore:
        return open_store(azure_container)

    @pytest.fixture
    def sibling_store(self, azure_container: AzureContainer) -> AzureStore:
        return open_store(azure_container, prefix=f"{PREFIX}-old")

    @pytest.fixture
    def bucket_keys(self, azure_container: AzureContainer) -> Callable[[], list[str]]:
        service = BlobServiceClient.from_connection_string(azure_container.conn_str)
        container = service.get_container_client(azure_container.name)
        return lambda: sorted(blob.name for blob in container.list_blobs())

    @pytest.fixture
    def missing_bucket_store(self, azure_conn_str: str) -> AzureStore:
        return open_store(AzureContainer(azure_conn_str, unique_name("missing")))

    @pytest.fixture
    def unreachable_store(self) -> AzureStore:
        return open_store(AzureContainer(azurite_conn_str(free_port()), "nowhere"))

    @pytest.fixture
    def overloaded_store(self, overloaded_endpoint: str) -> AzureStore:
        port = int(overloaded_endpoint.rpartition(":")[2])
        return open_store(AzureContainer(azurite_conn_str(port), "busy"))

    @pytest.fixture
    def refused_secret(self) -> str:
        return WRONG_KEY

    @pytest.fixture
    def refused_store(self, azure_container: AzureContainer) -> AzureStore:
        return open_store(
            azure_container,
            connection_string=None,
            account_url=blob_endpoint(azure_container.conn_str),
            account_key=WRONG_KEY,
        )

    @pytest.fixture
    def breakable_store(
        self, azure_container: AzureContainer
    ) -> tuple[AzureStore, Callable[[], None]]:
        """The container is deleted under the upload."""
        service = BlobServiceClient.from_connection_string(azure_container.conn_str)
        return (
            open_store(azure_container),
            lambda: service.delete_container(azure_container.name),
        )

    # --- Azure's own proofs ---------------------------------------------------------------

    def test_a_large_object_is_committed_as_its_staged_blocks(self, store: AzureStore) -> None:
        data = payload(3 * BLOCK + 5)
        upload = store.open("big.bin")
        upload.write(data)
        upload.commit()
        committed, uncommitted = upload.blob.get_block_list("all")
        assert [block.size for block in committed] == [BLOCK, BLOCK, BLOCK, 5]
        assert uncommitted == []

    def test_an_aborted_upload_leaves_only_uncommitted_blocks_that_no_listing_shows(
        self, store: AzureStore
    ) -> None:
        upload = store.open("aborted.bin")
        upload.write(payload(2 * BLOCK))
        upload.abort()
        container = store.container
        assert [b.name for b in container.list_blobs(include=["uncommittedblobs"])] == [
            f"{PREFIX}/aborted.bin"
        ]
        assert store.list() == []

    def test_an_account_key_with_the_account_url_authenticates(
        self, azure_container: AzureContainer
    ) -> None:
        from tests.fixtures.services import AZURITE_KEY

        store = open_store(
            azure_container,
            connection_string=None,
            account_url=blob_endpoint(azure_container.conn_str),
            account_key=AZURITE_KEY,
        )
        store.put("a.json", b"{}")
        assert store.list() == ["a.json"]
        assert store.describe("a.json").endswith(
            f"/{AZURITE_ACCOUNT}/{azure_container.name}/{PREFIX}/a.json"
        )

    def test_a_refused_connection_string_does_not_leak_its_key(
        self, azure_container: AzureContainer
    ) -> None:
        conn_str = azure_container.conn_str.replace(
            azure_container.conn_str.split("AccountKey=")[1].split(";")[0], WRONG_KEY
        )
        store = open_store(azure_container, connection_string=conn_str)
        with pytest.raises(AccessError, match="credentials were refused") as caught:
            store.check()
        assert "403" in str(caught.value)
        assert WRONG_KEY not in str(caught.value)

    def test_a_connection_string_with_an_account_key_too_is_a_config_error(
        self, azure_container: AzureContainer
    ) -> None:
        with pytest.raises(ConfigError, match="connection_string"):
            open_store(azure_container, account_key=WRONG_KEY)

    def test_no_credentials_at_all_is_a_config_error(self, azure_container: AzureContainer) -> None:
        with pytest.raises(ConfigError, match="connection_string"):
            open_store(azure_container, connection_string=None)
