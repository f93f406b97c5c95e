"""A service's failure reads the same from a state backend and from a lake target's store.

Both towers explain S3, GCS and Azure failures through elt.cloudfailures: on the real
servers (moto, the GCS emulator, Azurite), the same fault gets the same class and the same
words, and only the advice names the caller's own settings.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import target_azure
import target_gcs
import target_s3

from core.tests.state.backends import AWS_ENV
from elt.errors import AccessError, EltError, ServiceError
from elt.state import open_state_store
from tests.fixtures.services import AzureContainer, GcsBucket, S3Bucket, free_port


def explanation(error: EltError) -> str:
    """What the error says happened, without what was being done."""
    return error.message.partition(" failed: ")[2]


def test_s3_faults_read_alike_from_the_state_backend_and_the_lake_store(
    tmp_path: Path, s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    missing = f"{s3_bucket.name}-missing"
    lake_config = {"endpoint_url": s3_bucket.endpoint_url, "region": "us-east-1"}

    state = open_state_store(
        tmp_path, f"s3://{missing}/state", {"endpoint_url": lake_config["endpoint_url"]}
    )
    with pytest.raises(AccessError) as from_state:
        state.list()
    with pytest.raises(AccessError) as from_lake:
        target_s3.connect({"bucket": missing, **lake_config}).check()
    assert (
        explanation(from_state.value) == explanation(from_lake.value) == "the bucket does not exist"
    )
    assert "state_backend" in str(from_state.value.hint)
    assert "`bucket` setting" in str(from_lake.value.hint)

    dead = f"http://127.0.0.1:{free_port()}"
    state = open_state_store(tmp_path, f"s3://{missing}/state", {"endpoint_url": dead})
    with pytest.raises(ServiceError) as from_state:
        state.get("dev:a")
    with pytest.raises(ServiceError) as from_lake:
        target_s3.connect({"bucket": missing, "endpoint_url": dead}).check()
    for error in (from_state.value, from_lake.value):
        assert explanation(error).startswith("S3 could not be reached")


def test_a_missing_gcs_bucket_reads_alike_from_both(
    tmp_path: Path, gcs_bucket: GcsBucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_bucket.endpoint_url)
    missing = f"{gcs_bucket.name}-missing"
    with pytest.raises(AccessError) as from_state:
        open_state_store(tmp_path, f"gs://{missing}/state").list()
    lake = target_gcs.connect(
        {"bucket": missing, "endpoint": gcs_bucket.endpoint_url, "anonymous": True}
    )
    with pytest.raises(AccessError) as from_lake:
        lake.check()
    assert explanation(from_state.value) == explanation(from_lake.value)
    assert explanation(from_lake.value) == "the bucket or object does not exist (404)"


def test_a_missing_azure_container_reads_alike_from_both(
    tmp_path: Path, azure_container: AzureContainer
) -> None:
    missing = f"{azure_container.name}-missing"
    settings = {"connection_string": azure_container.conn_str}
    with pytest.raises(AccessError) as from_state:
        open_state_store(tmp_path, f"azure://{missing}/state", settings).set("dev:a", {})
    with pytest.raises(AccessError) as from_lake:
        target_azure.connect({"container": missing, **settings}).check()
    assert explanation(from_state.value) == explanation(from_lake.value)
    assert explanation(from_lake.value) == "the container does not exist"
    account_key = azure_container.conn_str.split("AccountKey=")[1].split(";")[0]
    for error in (from_state.value, from_lake.value):
        assert account_key not in str(error)
