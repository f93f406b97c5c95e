"""Inline stream_maps: singer-sdk's maps applied in front of the lake writer."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from elt.errors import ConfigError
from tests.fixtures.lake import data_keys, manifests, read_records
from tests.fixtures.maps import CUSTOMERS, PEOPLE, md5, person

Load = Callable[..., Any]
TARGET = Path(sys.executable).with_name("target-files")

SCHEMA = {"type": "SCHEMA", "stream": "people", "schema": {"type": "object", "properties": PEOPLE},
          "key_properties": ["id"]}  # fmt: skip
STATE = {"type": "STATE", "value": {"bookmarks": {"people": {"id": 3}}}}


def people(*ages: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"type": "RECORD", "stream": "people", **extra,
         "record": person(i, age)}
        for i, age in enumerate(ages, start=1)
    ]  # fmt: skip


@pytest.mark.parametrize("file_format", ["jsonl", "csv", "parquet"])
def test_a_stream_is_renamed_filtered_and_its_email_hashed(load: Load, file_format: str) -> None:
    loaded = load([SCHEMA, *people(30, 17, 45), STATE], stream_maps=CUSTOMERS, format=file_format)

    assert loaded.run.error is None, loaded.run.error
    assert loaded.states == [STATE["value"]]
    (key,) = data_keys(loaded.store)
    assert key.startswith("customers/")
    rows = read_records(loaded.store, key)
    assert [{k: str(v) for k, v in row.items()} for row in rows] == [
        {"id": "1", "age": "30", "email_hash": md5("p1@x.io")},
        {"id": "3", "age": "45", "email_hash": md5("p3@x.io")},
    ]
    (manifest,) = manifests(loaded.store)
    stream = manifest["streams"]["customers"]
    assert stream["key_properties"] == ["id"]
    assert list(stream["schemas"][0]["properties"]) == ["id", "age", "email_hash"]


def test_streams_no_map_mentions_are_written_as_they_are(load: Load) -> None:
    orders = {"type": "SCHEMA", "stream": "orders", "key_properties": ["id"],
              "schema": {"type": "object", "properties": {"id": {"type": "integer"}}}}  # fmt: skip
    loaded = load(
        [SCHEMA, orders, *people(30), {"type": "RECORD", "stream": "orders", "record": {"id": 7}}],
        stream_maps=CUSTOMERS,
    )

    keys = data_keys(loaded.store)
    assert [k.split("/")[0] for k in keys] == ["customers", "orders"]
    assert read_records(loaded.store, keys[1]) == [{"id": 7}]


def test_activate_version_is_noted_for_the_aliased_stream(load: Load) -> None:
    activate = {"type": "ACTIVATE_VERSION", "stream": "people", "version": 5}
    loaded = load([SCHEMA, activate, *people(30, version=5), activate], stream_maps=CUSTOMERS)

    assert loaded.run.error is None, loaded.run.error
    (manifest,) = manifests(loaded.store)
    assert list(manifest["streams"]) == ["customers"]
    assert manifest["streams"]["customers"]["activate_version"] == 5


def test_jsonl_batch_files_go_through_the_maps(load: Load, tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_text(
        '{"id": 1, "name": "a", "email": "p1@x.io", "age": 30}\n'
        '{"id": 2, "name": "b", "email": "p2@x.io", "age": 9}\n'
    )
    batch = {"type": "BATCH", "stream": "people", "manifest": [path.as_uri()],
             "encoding": {"format": "jsonl", "compression": "none"}}  # fmt: skip
    loaded = load([SCHEMA, batch], stream_maps=CUSTOMERS)

    (key,) = data_keys(loaded.store)
    assert read_records(loaded.store, key) == [{"id": 1, "age": 30, "email_hash": md5("p1@x.io")}]


def test_a_bad_expression_fails_the_run_and_commits_nothing(load: Load) -> None:
    loaded = load([SCHEMA, *people(30), STATE], stream_maps={"people": {"h": "md5(emial)"}})

    assert isinstance(loaded.run.error, ConfigError)
    assert "stream 'people'" in str(loaded.run.error)
    assert "md5(emial)" in str(loaded.run.error)
    assert loaded.states == []
    assert data_keys(loaded.store) == []


def test_about_lists_the_stream_map_settings() -> None:
    done = subprocess.run(
        [str(TARGET), "--about", "--format", "json"],
        capture_output=True,
        timeout=60,
        check=True,
    )
    about = json.loads(done.stdout)

    assert {"stream_maps", "stream_map_config", "flattening_enabled"} <= set(
        about["settings"]["properties"]
    )
    assert {"stream-maps", "schema-flattening"} <= set(about["capabilities"])
