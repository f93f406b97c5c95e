"""TargetAzure end to end against Azurite: the shared lake-target contract, plus block proof."""

from __future__ import annotations

import base64
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
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
from tests.fixtures.services import (
    AZURITE_ACCOUNT,
    AzureContainer,
    azurite_conn_str,
    azurite_executable,
    free_port,
    running_server,
    stop_process,
    unique_name,
)

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
    def unreachable_config(self) -> dict[str, Any]:
        return target_config(azurite_conn_str(free_port()), "nowhere")

    @pytest.fixture
    def overloaded_config(self, overloaded_endpoint: str) -> dict[str, Any]:
        port = int(overloaded_endpoint.rpartition(":")[2])
        return target_config(azurite_conn_str(port), "busy")

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
        self, services_log_dir: Path
    ) -> Iterator[tuple[dict[str, Any], Callable[[], None]]]:
        """A private Azurite, stopped while the target runs."""
        port, location = free_port(), Path(tempfile.mkdtemp(prefix="elt-azurite-doomed-"))
        argv = [
            azurite_executable(), "--silent", "--disableTelemetry", "--skipApiVersionCheck",
            "--location", str(location), "--blobHost", "127.0.0.1", "--blobPort", str(port),
        ]  # fmt: skip
        ready = f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}?comp=list"
        try:
            with running_server("azurite-doomed", argv, services_log_dir, ready) as server:
                conn_str = azurite_conn_str(port)
                BlobServiceClient.from_connection_string(conn_str).create_container("doomed")
                yield target_config(conn_str, "doomed"), lambda: stop_process(server.process)
        finally:
            shutil.rmtree(location, ignore_errors=True)

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
