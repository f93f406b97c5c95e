"""TargetAzure end to end against Azurite: the shared lake-target contract, plus block proof."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient
from target_azure import AzureStore, TargetAzure, connect

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
from tests.fixtures.services import AzureContainer, unique_name

BLOCK = 256 * 1024
WRONG_KEY = base64.b64encode(b"not the account key, but shaped like one!" * 2).decode()


def target_config(conn_str: str, container: str, **overrides: Any) -> dict[str, Any]:
    return {
        "container": container,
        "connection_string": conn_str,
        "block_size": BLOCK,
        "prefix": PREFIX,
        **overrides,
    }


class TestTargetAzure(LakeTargetContract):
    target_class = TargetAzure
    executable = "target-azure"

    @pytest.fixture
    def config(self, azure_container: AzureContainer) -> dict[str, Any]:
        return target_config(*azure_container)

    @pytest.fixture
    def bucket_store(self, config: dict[str, Any]) -> AzureStore:
        return connect(config)

    @pytest.fixture
    def minimal_config(
        self, azure_container: AzureContainer
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """`container` and the one way to authenticate it needs, `connection_string`."""
        conn_str, name = azure_container
        return {"container": name, "connection_string": conn_str}, {}

    @pytest.fixture
    def missing_bucket_config(self, azure_conn_str: str) -> dict[str, Any]:
        return target_config(azure_conn_str, unique_name("missing"))

    @pytest.fixture
    def refused_secret(self) -> str:
        return WRONG_KEY

    @pytest.fixture
    def refused_config(self, azure_container: AzureContainer) -> dict[str, Any]:
        conn_str, name = azure_container
        key = conn_str.split("AccountKey=")[1].split(";")[0]
        return target_config(conn_str.replace(key, WRONG_KEY), name)

    @pytest.fixture
    def breakable_config(
        self, azure_container: AzureContainer
    ) -> tuple[dict[str, Any], Callable[[], None]]:
        """The container is deleted while the target runs."""
        service = BlobServiceClient.from_connection_string(azure_container.conn_str)
        return (
            target_config(*azure_container),
            lambda: service.delete_container(azure_container.name),
        )

    def test_a_file_larger_than_a_block_is_committed_as_staged_blocks(
        self, config: dict[str, Any], bucket_store: AzureStore
    ) -> None:
        sent = records("wide", range(20_000), width=60)
        messages = [schema("wide"), *sent, state({"b": 1})]
        settings = {**config, "compression": "none"}
        assert run_in_process(TargetAzure, settings, lines(messages)).states == [{"b": 1}]
        (key,) = data_keys(bucket_store)
        committed, _ = bucket_store.container.get_blob_client(key).get_block_list("committed")
        size = sum(block.size for block in committed)
        assert size > 2 * BLOCK
        assert len(committed) == -(-size // BLOCK)
