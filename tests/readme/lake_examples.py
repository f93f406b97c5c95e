"""Scenarios of the lake targets' README examples (target-files, -s3, -gcs, -azure).

Each prepares what its README assumes a reader has — a tap-csv config and its CSV file, a
target config file, a Singer message file, a project whose plugins.yml names the plugins,
a bucket on the real emulator — then runs the block's own text and reads back what landed.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.laketargets import read_rows
from tests.fixtures.maps import md5
from tests.fixtures.services import AzureContainer, GcsBucket, S3Bucket
from tests.readme.examples import Example, run_bash
from tests.readme.scenarios import scenario

PEOPLE_CSV = "id,name,email,age\n1,Ada,ada@x.io,36\n2,Tim,tim@x.io,12\n3,Grace,grace@x.io,45\n"
MESSAGES = [
    {"type": "SCHEMA", "stream": "orders", "key_properties": ["id"],
     "schema": {"properties": {"id": {"type": "integer"}, "total": {"type": "number"}}}},
    {"type": "RECORD", "stream": "orders", "record": {"id": 1, "total": 9.5}},
    {"type": "RECORD", "stream": "orders", "record": {"id": 2, "total": 12.25}},
    {"type": "STATE", "value": {"bookmarks": {"orders": {"id": 2}}}},
]  # fmt: skip


def people_project(root: Path, targets: str) -> Path:
    """A project whose tap-csv reads people.csv, with the given ``targets:`` entries."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "people.csv").write_text(PEOPLE_CSV)
    (root / "plugins.yml").write_text(
        "version: 1\nplugins:\n  taps:\n    - name: tap-csv\n      config:\n"
        "        files: [{entity: people, path: people.csv, keys: [id]}]\n"
        f"  targets:\n{targets}"
    )
    return root


def run_example(found: Example, cwd: Path, env: dict[str, str] | None = None) -> None:
    done = run_bash(found.text, cwd, env)
    assert done.returncode == 0, f"{found.where}:\n{done.stdout}\n{done.stderr}"


def rows_under(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Each stream folder's rows, read from the lake folder as a reader would."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(folder.rglob("part-*")):
        stream = path.relative_to(folder).parts[0]
        found.setdefault(stream, []).extend(read_rows(path.name, path.read_bytes()))
    return found


@scenario("target-files-pipe")
def target_files_pipe(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """tap-csv's config in tap.json; the pipe leaves the files, a manifest and the STATE."""
    (tmp_path / "orders.csv").write_text("id,total\n1,9.5\n2,12.25\n")
    tap = {"files": [{"entity": "orders", "path": "orders.csv", "keys": ["id"]}]}
    (tmp_path / "tap.json").write_text(json.dumps(tap))
    run_example(found, tmp_path)
    lake = tmp_path / "lake"
    assert rows_under(lake) == {"orders": [{"id": 1, "total": 9.5}, {"id": 2, "total": 12.25}]}
    assert len(list((lake / "_manifests").glob("*.json"))) == 1
    states = [json.loads(line) for line in (tmp_path / "state.json").read_text().splitlines()]
    assert states
    assert "bookmarks" in states[-1]


@scenario("target-files-stream-maps")
def target_files_stream_maps(
    found: Example, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The fragment as the project's target-files entry: people land as customers, adults
    only, without their name, the email as its MD5."""
    fragment = found.text.replace("      config:\n", "      config:\n        path: lake\n", 1)
    project = people_project(tmp_path / "p", fragment)
    done = run_bash(shlex.join(["elt", "run", "tap-csv", "target-files"]), project)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert rows_under(project / "lake") == {
        "customers": [
            {"id": 1, "age": 36, "email_hash": md5("ada@x.io")},
            {"id": 3, "age": 45, "email_hash": md5("grace@x.io")},
        ]
    }


def cloud_example(found: Example, tmp_path: Path, config: dict[str, Any]) -> Path:
    """The two lines of a cloud target's README: the target on a message file with
    config.json, then `elt run tap-csv TARGET` in a project (this folder) with the same
    settings, the second run under the prefix ``from-elt``."""
    name = found.readme.split("/")[1]
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "messages.jsonl").write_text("".join(json.dumps(m) + "\n" for m in MESSAGES))
    settings = json.dumps({**config, "prefix": "from-elt"})
    people_project(tmp_path, f"    - name: {name}\n      config: {settings}\n")
    run_example(found, tmp_path)
    assert json.loads((tmp_path / "state.json").read_text()) == MESSAGES[-1]["value"]
    return tmp_path


def check_cloud(keys: list[str], read: Any) -> None:
    """The target's own run at the root, elt's under from-elt: both files and manifests."""
    orders = [k for k in keys if k.startswith("orders/")]
    people = [k for k in keys if k.startswith("from-elt/people/")]
    assert len(orders) == len(people) == 1
    assert [r["id"] for r in read_rows(orders[0], read(orders[0]))] == [1, 2]
    assert [r["id"] for r in read_rows(people[0], read(people[0]))] == [1, 2, 3]
    assert len([k for k in keys if "_manifests/" in k]) == 2


@scenario("target-s3-usage")
def target_s3_usage(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    bucket: S3Bucket = request.getfixturevalue("s3_bucket")
    config = {"bucket": bucket.name, "endpoint_url": bucket.endpoint_url, "region": "us-east-1",
              "aws_access_key_id": "test", "aws_secret_access_key": "test"}  # fmt: skip
    cloud_example(found, tmp_path, config)
    from target_s3 import connect

    store = connect(config)
    check_cloud(store.list(), store.read)


@scenario("target-gcs-usage")
def target_gcs_usage(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    bucket: GcsBucket = request.getfixturevalue("gcs_bucket")
    config = {"bucket": bucket.name, "endpoint": bucket.endpoint_url, "anonymous": True}
    cloud_example(found, tmp_path, config)
    from target_gcs import connect

    store = connect(config)
    check_cloud(store.list(), store.read)


@scenario("target-azure-usage")
def target_azure_usage(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    container: AzureContainer = request.getfixturevalue("azure_container")
    config = {"container": container.name, "connection_string": container.conn_str}
    cloud_example(found, tmp_path, config)
    from target_azure import connect

    store = connect(config)
    check_cloud(store.list(), store.read)
