"""open_state_store: how a project's state_backend becomes a store, and how each fails."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from core.tests.state.backends import AWS_ENV
from elt.errors import ConfigError, ProjectError, ServiceError
from elt.project import load_project
from elt.run.runner import project_state_store
from elt.state import LocalStateStore, ObjectStateStore, PostgresStateStore, open_state_store
from tests.fixtures.services import AzureContainer, GcsBucket, S3Bucket, free_port

STATE = {"bookmarks": {"users": {"id": 1}}}


def test_without_a_backend_state_stays_in_the_project(tmp_path: Path) -> None:
    store = open_state_store(tmp_path)
    assert isinstance(store, LocalStateStore)
    assert store.directory == tmp_path / ".elt" / "state"


def test_a_file_url_keeps_state_in_that_directory_relative_to_the_project(tmp_path: Path) -> None:
    relative = open_state_store(tmp_path, "file://shared/state")
    absolute = open_state_store(tmp_path, f"file://{tmp_path}/elsewhere")
    assert isinstance(relative, LocalStateStore)
    assert isinstance(absolute, LocalStateStore)
    assert (relative.directory, absolute.directory) == (
        tmp_path / "shared" / "state",
        tmp_path / "elsewhere",
    )


def test_postgres_is_an_alias_of_postgresql_and_takes_a_schema(tmp_path: Path) -> None:
    store = open_state_store(tmp_path, "postgres://me:pw@db/x", {"schema": "ops"})
    assert isinstance(store, PostgresStateStore)
    assert (store.schema, store.where) == ("ops", "postgres://me:********@db/x")


@pytest.mark.parametrize("url", ["ftp://host/x", "/some/path", "mysql://me:hunter2@db/x"])
def test_a_url_of_no_known_form_is_a_config_error_listing_the_forms(
    tmp_path: Path, url: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        open_state_store(tmp_path, url)
    text = str(raised.value)
    assert "is not a URL elt can keep state at" in text
    assert "s3://BUCKET/PREFIX, gs://BUCKET/PREFIX, azure://CONTAINER/PREFIX" in text
    assert "hunter2" not in text


def test_a_setting_the_backend_does_not_take_is_refused_not_ignored(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="region do not apply to a gs:// state_backend"):
        open_state_store(tmp_path, "gs://b/p", {"region": "eu-west-1"})
    with pytest.raises(ConfigError, match="lease_seconds do not apply to the local store"):
        open_state_store(tmp_path, None, {"lease_seconds": 5})


@pytest.mark.parametrize(
    ("url", "module", "extra"),
    [
        ("s3://b/p", "boto3", "s3"),
        ("gs://b/p", "google.cloud", "gcs"),
        ("azure://c/p", "azure.storage.blob", "azure"),
        ("postgresql://db/x", "psycopg", "postgres"),
    ],
)
def test_a_backend_whose_client_is_not_installed_says_which_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # what `import` finds when it is missing
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", "AccountName=a;AccountKey=a2V5")
    with pytest.raises(ConfigError) as raised:
        open_state_store(tmp_path, url)
    assert raised.value.hint == f"pip install 'elt-core[{extra}]'"


def test_azure_without_a_connection_string_says_where_to_give_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING", raising=False)
    with pytest.raises(ConfigError, match="needs the storage account's connection string") as e:
        open_state_store(tmp_path, "azure://c/p")
    assert "AZURE_STORAGE_CONNECTION_STRING" in str(e.value)


def test_state_backend_and_its_settings_take_variables_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_bucket: S3Bucket
) -> None:
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("STATE_BUCKET", s3_bucket.name)
    monkeypatch.setenv("S3_ENDPOINT", s3_bucket.endpoint_url)
    (tmp_path / "plugins.yml").write_text(
        "version: 1\n"
        "state_backend: s3://${STATE_BUCKET}/elt/state\n"
        "state_backend_settings: {endpoint_url: '${S3_ENDPOINT}', lease_seconds: 30}\n"
    )
    store = project_state_store(load_project(tmp_path))
    assert isinstance(store, ObjectStateStore)
    assert store.lease_seconds == 30
    store.set("dev:a", STATE)
    assert store.bucket.describe("x") == f"s3://{s3_bucket.name}/elt/state/x"
    assert store.get("dev:a") == STATE
    store.close()


def test_an_unknown_state_backend_setting_is_a_project_error_with_its_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "plugins.yml").write_text(
        "version: 1\nstate_backend: s3://b/p\nstate_backend_settings: {endpiont_url: x}\n"
    )
    with pytest.raises(ProjectError, match=r"state_backend_settings\.endpiont_url"):
        load_project(tmp_path)


def test_a_missing_bucket_is_a_service_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_bucket: S3Bucket
) -> None:
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    url = f"s3://{s3_bucket.name}-missing/state"
    store = open_state_store(tmp_path, url, {"endpoint_url": s3_bucket.endpoint_url})
    with pytest.raises(ServiceError, match="does not exist") as raised:
        store.set("dev:a", STATE)
    assert raised.value.where == f"{url}/dev%3Aa.json"


def test_a_missing_gcs_bucket_is_a_service_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gcs_bucket: GcsBucket
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_bucket.endpoint_url)
    store = open_state_store(tmp_path, f"gs://{gcs_bucket.name}-missing/state")
    with pytest.raises(ServiceError, match="does not exist"):
        store.list()


def test_a_missing_azure_container_is_a_service_error_without_the_account_key(
    tmp_path: Path, azure_container: AzureContainer
) -> None:
    store = open_state_store(
        tmp_path,
        f"azure://{azure_container.name}-missing/state",
        {"connection_string": azure_container.conn_str},
    )
    with pytest.raises(ServiceError, match=r"container .* does not exist") as raised:
        store.set("dev:a", STATE)
    key = azure_container.conn_str.split("AccountKey=")[1].split(";")[0]
    assert key not in str(raised.value)


def test_an_unreachable_postgres_is_a_service_error_with_the_password_masked(
    tmp_path: Path,
) -> None:
    url = f"postgresql://me:hunter2@127.0.0.1:{free_port()}/x"
    store = open_state_store(tmp_path, url)
    with pytest.raises(ServiceError, match="could not be reached") as raised:
        store.get("dev:a")
    assert "hunter2" not in str(raised.value)
    assert raised.value.where == url.replace("hunter2", "********")
