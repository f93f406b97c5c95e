"""stream_maps and flattening: mapped SCHEMA and RECORD messages through singer-sdk's loop."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from tests.fixtures.apiserver import ApiServer, Reply
from tests.fixtures.taps import TapRun

Sync = Callable[..., TapRun]
RunTap = Callable[..., TapRun]

PEOPLE = [
    {"id": 1, "name": "Ann", "email": "ann@x.io", "age": 30, "address": {"city": "Oslo"}},
    {"id": 2, "name": "Bo", "email": "bo@x.io", "age": 17, "address": {"city": "Rome"}},
    {"id": 3, "name": "Cy", "email": "cy@x.io", "age": 45, "address": {"city": "Lima"}},
]
SCHEMA = {
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": ["string", "null"]},
        "email": {"type": ["string", "null"]},
        "age": {"type": ["integer", "null"]},
        "address": {"type": ["object", "null"], "properties": {"city": {"type": "string"}}},
    }
}
CUSTOMERS = {
    "people": {
        "__alias__": "customers",
        "__filter__": "age >= 18",
        "name": None,
        "email": "__NULL__",
        "address": None,
        "email_hash": "md5(email)",
    }
}


def config(api: ApiServer, **settings: Any) -> dict[str, Any]:
    api.routes["/people"] = lambda r: Reply(body={"data": PEOPLE})
    stream = {"name": "people", "path": "/people", "records_path": "$.data[*]",
              "schema": SCHEMA, "primary_keys": ["id"], "pagination": {"style": "none"}}  # fmt: skip
    return {"api_url": api.url, "streams": [stream], **settings}


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def test_a_mapped_stream_sends_its_schema_and_records_renamed_filtered_and_hashed(
    api: ApiServer, sync: Sync
) -> None:
    run = sync(config(api, stream_maps=CUSTOMERS))

    [schema] = [m for m in run.messages if m["type"] == "SCHEMA"]
    assert schema["stream"] == "customers"
    assert schema["key_properties"] == ["id"]
    assert list(schema["schema"]["properties"]) == ["id", "age", "email_hash"]
    assert run.records("people") == []
    assert run.records("customers") == [
        {"id": 1, "age": 30, "email_hash": md5("ann@x.io")},
        {"id": 3, "age": 45, "email_hash": md5("cy@x.io")},
    ]


def test_flattening_alone_flattens_schema_and_records(api: ApiServer, sync: Sync) -> None:
    run = sync(config(api, flattening_enabled=True, flattening_max_depth=1))

    assert "address__city" in run.schema("people")["properties"]
    assert [r.get("address__city") for r in run.records("people")] == ["Oslo", "Rome", "Lima"]
    assert all("address" not in r for r in run.records("people"))


def test_a_bad_expression_exits_78_with_one_paragraph(api: ApiServer, run_tap: RunTap) -> None:
    run = run_tap(config(api, stream_maps={"people": {"h": "md5(emial)"}}))

    assert run.code == 78
    assert "stream_maps: Failed to evaluate simpleeval expressions md5(emial)" in run.stderr
    assert "'emial' is not defined" in run.stderr
    assert "syncing 'people'" in run.stderr
    assert "Traceback" not in run.stderr


def test_about_lists_the_stream_map_settings(api: ApiServer, run_tap: RunTap) -> None:
    [about] = run_tap(config(api), None, "--about", "--format", "json").messages

    assert {"stream_maps", "stream_map_config", "flattening_enabled"} <= set(
        about["settings"]["properties"]
    )
