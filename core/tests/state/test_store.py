"""open_state_store: how a project's state_backend becomes a store, and how each fails."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from core.tests.state.backends import AWS_ENV
from elt.errors import AccessError, ConfigError, ProjectError, ServiceError
from elt.project import load_project
from elt.project.model import Manifest, StateBackendSettings
from elt.run.runner import project_state_store
from elt.state import (
    BACKEND_SETTINGS,
    BACKENDS,
    BackendSpec,
    LocalStateStore,
    ObjectStateStore,
    PostgresStateStore,
    StateStore,
    open_state_store,
)
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


def test_a_missing_bucket_is_an_access_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_bucket: S3Bucket
) -> None:
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    url = f"s3://{s3_bucket.name}-missing/state"
    store = open_state_store(tmp_path, url, {"endpoint_url": s3_bucket.endpoint_url})
    with pytest.raises(AccessError, match="the bucket does not exist") as raised:
        store.set("dev:a", STATE)
    assert raised.value.where == f"{url}/dev%3Aa.json"
    assert raised.value.exit_code == 78  # not retried: creating the bucket is a person's job


def test_a_missing_gcs_bucket_is_an_access_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gcs_bucket: GcsBucket
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_bucket.endpoint_url)
    store = open_state_store(tmp_path, f"gs://{gcs_bucket.name}-missing/state")
    with pytest.raises(AccessError, match="does not exist") as raised:
        store.list()
    assert raised.value.where == f"gs://{gcs_bucket.name}-missing/state/"


def test_a_missing_azure_container_is_an_access_error_without_the_account_key(
    tmp_path: Path, azure_container: AzureContainer
) -> None:
    store = open_state_store(
        tmp_path,
        f"azure://{azure_container.name}-missing/state",
        {"connection_string": azure_container.conn_str},
    )
    with pytest.raises(AccessError, match="the container does not exist") as raised:
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


# --- the table of backends, held to plugins.yml's model and the README -----------------------

README = Path(__file__).resolve().parents[3] / "README.md"


def _model_settings() -> dict[str, str]:
    """state_backend_settings of plugins.yml's model: name (as written) -> description."""
    return {
        field.alias or name: field.description or ""
        for name, field in StateBackendSettings.model_fields.items()
    }


def test_every_backend_setting_is_in_the_plugins_yml_model_and_back() -> None:
    named = {setting for spec in BACKENDS.values() for setting in spec.settings}
    assert named == set(_model_settings())
    assert {scheme: spec.settings for scheme, spec in BACKENDS.items()} == BACKEND_SETTINGS


@pytest.mark.parametrize("setting", sorted(_model_settings()))
def test_each_model_setting_says_which_backends_take_it(setting: str) -> None:
    description = _model_settings()[setting]
    takes = {scheme for scheme, spec in BACKENDS.items() if setting in spec.settings}
    if description.startswith("Remote backends:"):
        assert takes == set(BACKENDS) - {"file"}
    else:
        assert set(re.findall(r"(\w+)://", description.partition(": ")[0])) == takes


def test_the_model_names_every_backend_url_form() -> None:
    description = Manifest.model_fields["state_backend"].description or ""
    assert [spec.form for spec in BACKENDS.values() if spec.form not in description] == []


def _readme_rows() -> dict[str, list[str]]:
    """The README's table of state backends: URL form -> the row's cells."""
    section = README.read_text(encoding="utf-8").split("## State backends", 1)[1]
    rows = [line for line in section.split("\n## ", 1)[0].splitlines() if line.startswith("| ")]
    header, *body = [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]
    assert header == ["`state_backend`", "where", "credentials", "settings", "extra"]
    return {re.findall(r"`([^`]+)`", cells[0])[-1 if "unset" in cells[0] else 0]: cells
            for cells in body if cells[0] != "---"}  # fmt: skip


def test_the_readme_lists_each_backend_with_its_settings_and_extra() -> None:
    rows = _readme_rows()
    assert set(rows) == {spec.form for spec in BACKENDS.values()}
    for spec in BACKENDS.values():
        _, _, _, settings, extra = rows[spec.form]
        named = re.findall(r"`(\w+)`", re.sub(r"\(.*?\)", "", settings))  # not (default `x`)
        assert set(named) == spec.settings, spec.scheme
        assert extra == (f"`{spec.extra}`" if spec.extra else "—"), spec.scheme
        for alias in spec.aliases:
            assert f"`{alias}://`" in rows[spec.form][0]


def test_a_new_backend_is_one_entry_of_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def open_folder(root: Path, url: str, settings: Mapping[str, Any]) -> StateStore:
        return LocalStateStore(root / url.partition("://")[2] / settings.get("sub", ""))

    def open_missing(root: Path, url: str, settings: Mapping[str, Any]) -> StateStore:
        import elt_no_such_client  # type: ignore[import-not-found]  # noqa: F401

        raise AssertionError("not reached")

    folder = BackendSpec(
        "folder", "folder://PATH", frozenset({"sub"}), open_folder, aliases=("dir",)
    )
    missing = BackendSpec("nope", "nope://X", frozenset(), open_missing, extra="nope", client="nc")
    monkeypatch.setitem(BACKENDS, "folder", folder)
    monkeypatch.setitem(BACKENDS, "nope", missing)

    store = open_state_store(tmp_path, "DIR://a", {"sub": "b"})
    assert isinstance(store, LocalStateStore)
    assert store.directory == tmp_path / "a" / "b"
    with pytest.raises(ConfigError, match="lease_seconds do not apply to a folder:// state_b"):
        open_state_store(tmp_path, "folder://a", {"lease_seconds": 5})
    with pytest.raises(ConfigError, match="folder://PATH") as unknown:
        open_state_store(tmp_path, "ftp://host/x")
    assert "nope://X" in str(unknown.value)
    with pytest.raises(ConfigError, match="nope:// needs nc, which is not installed") as raised:
        open_state_store(tmp_path, "nope://x")
    assert raised.value.hint == "pip install 'elt-core[nope]'"
