"""The three headline uses, as a newcomer meets them: in a project made by ``elt init``,
with nothing but the documented defaults.

- ``elt run tap-http target-gcs`` (and target-s3, target-azure): a local API into the
  emulators, ``prefix`` left unset;
- a shell pipe whose state file is reused with ``--state``, twice;
- a third-party plugin installed into the project by ``elt install``.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from tests.fixtures.apiserver import ApiServer, Reply
from tests.fixtures.services import AzureContainer, GcsBucket, S3Bucket, s3_client
from tests.newcomer.newcomer import Shell, new_project

CUSTOMERS = [
    {"id": 1, "name": "Ada", "updated": "2026-01-01T00:00:00Z"},
    {"id": 2, "name": "Grace", "updated": "2026-01-02T00:00:00Z"},
]
STREAMS = [{"name": "customers", "path": "/customers", "primary_keys": ["id"]}]


@pytest.fixture
def api() -> Iterator[ApiServer]:
    server = ApiServer()
    server.routes["/customers"] = lambda request: Reply(200, CUSTOMERS)
    yield server
    server.stop()


def http_project(root: Path, api: ApiServer, target: str, env: dict[str, str]) -> Shell:
    shell = new_project(root, env)
    shell.ok(f"elt add tap tap-http && elt add target {target}")
    shell.ok(f"elt config set tap-http api_url {api.url}")
    shell.ok(f"elt config set tap-http streams {shlex.quote(json.dumps(STREAMS))}")
    return shell


def run_twice(shell: Shell, target: str) -> None:
    for _ in range(2):
        shell.ok(f"elt run tap-http {target}")


def assert_lake_keys(keys: list[str], runs: int = 2) -> None:
    """Without a prefix the layout starts at the root: {stream}/dt=…/part-….jsonl.gz."""
    data = [k for k in keys if not k.startswith("_manifests/")]
    manifests = [k for k in keys if k.startswith("_manifests/")]
    assert len(data) == runs
    assert all(k.startswith("customers/dt=") and k.endswith(".jsonl.gz") for k in data), keys
    assert len(manifests) == runs


def test_tap_http_into_gcs_with_the_default_prefix(
    tmp_path: Path, api: ApiServer, gcs_bucket: GcsBucket
) -> None:
    shell = http_project(tmp_path, api, "target-gcs", {})
    shell.ok(f"elt config set target-gcs bucket {gcs_bucket.name}")
    shell.ok(f"elt config set target-gcs endpoint {gcs_bucket.endpoint_url}")
    shell.ok("elt config set target-gcs anonymous true")
    run_twice(shell, "target-gcs")
    client = storage.Client(
        project="test",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": gcs_bucket.endpoint_url},
    )
    assert_lake_keys([blob.name for blob in client.list_blobs(gcs_bucket.name)])


def test_tap_http_into_s3_with_the_default_prefix(
    tmp_path: Path, api: ApiServer, s3_bucket: S3Bucket
) -> None:
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    shell = http_project(tmp_path, api, "target-s3", env)
    shell.ok(f"elt config set target-s3 bucket {s3_bucket.name}")
    shell.ok(f"elt config set target-s3 endpoint_url {s3_bucket.endpoint_url}")
    shell.ok("elt config set target-s3 region us-east-1")
    run_twice(shell, "target-s3")
    listed = s3_client(s3_bucket.endpoint_url).list_objects_v2(Bucket=s3_bucket.name)
    assert_lake_keys([item["Key"] for item in listed["Contents"]])


def test_tap_http_into_azure_with_the_default_prefix(
    tmp_path: Path, api: ApiServer, azure_container: AzureContainer
) -> None:
    from azure.storage.blob import ContainerClient

    shell = http_project(tmp_path, api, "target-azure", {})
    shell.ok(f"elt config set target-azure container {azure_container.name}")
    set_key = shell.ok(
        f"elt config set target-azure connection_string {shlex.quote(azure_container.conn_str)}"
    )
    assert "AccountKey" not in set_key  # a secret: stored in .env, never echoed
    assert "AccountKey" not in (shell.cwd / "plugins.yml").read_text()
    run_twice(shell, "target-azure")
    container = ContainerClient.from_connection_string(
        azure_container.conn_str, azure_container.name
    )
    assert_lake_keys([blob.name for blob in container.list_blobs()])


def test_a_shell_pipes_state_file_is_reused_twice(tmp_path: Path) -> None:
    shell = Shell(tmp_path, {})
    (tmp_path / "orders.csv").write_text("id,amount\n1,10\n2,20\n")
    (tmp_path / "tap.json").write_text(
        json.dumps({"files": [{"entity": "orders", "path": "orders.csv", "keys": ["id"]}]})
    )
    target = 'target-files --config \'{"path": "lake"}\''
    shell.ok(f"tap-csv --config tap.json | {target} > state.json")
    for _ in range(2):  # nothing changed: both runs read the state file and move nothing
        shell.ok(f"tap-csv --config tap.json --state state.json | {target} > state2.json")
        shell.ok("mv state2.json state.json")
    files = sorted((tmp_path / "lake" / "orders").rglob("*.jsonl.gz"))
    assert len(files) == 1
    (tmp_path / "orders.csv").write_text("id,amount\n1,10\n2,20\n3,30\n")
    shell.ok(f"tap-csv --config tap.json --state state.json | {target} > state2.json")
    assert len(sorted((tmp_path / "lake" / "orders").rglob("*.jsonl.gz"))) == 2


def test_a_third_party_plugin_installs_into_the_project(tmp_path: Path) -> None:
    shell = new_project(tmp_path)
    (shell.cwd / "people.csv").write_text("id,name\n1,Ada\n")
    shell.ok("elt add tap tap-csv")
    shell.ok("elt add target target-jsonl --pip-url target-jsonl==0.1.4")
    files = [{"entity": "people", "path": "people.csv", "keys": ["id"]}]
    shell.ok(f"elt config set tap-csv files {shlex.quote(json.dumps(files))}")
    shell.ok("elt config set target-jsonl destination_path output")
    shell.ok("elt config set target-jsonl do_timestamp_file false")
    shell.ok("elt install target-jsonl")
    venv = shell.cwd / ".elt" / "plugins" / "target" / "target-jsonl" / "venv"
    assert (venv / "bin" / "target-jsonl").is_file()
    shell.ok("elt run tap-csv target-jsonl")
    lines = (shell.cwd / "output" / "people.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [{"id": 1, "name": "Ada"}]
