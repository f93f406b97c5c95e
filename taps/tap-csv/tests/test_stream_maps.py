"""stream_maps: mapped SCHEMA and RECORD messages through singer-sdk's record loop."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.fixtures.maps import CUSTOMERS
from tests.fixtures.taps import TapRun

Sync = Callable[..., TapRun]
RunTap = Callable[..., TapRun]
Write = Callable[..., Path]

CSV = "id,name,email,age\n1,Ann,ann@x.io,30\n2,Bo,bo@x.io,17\n3,Cy,cy@x.io,45\n"


def people(path: Path, **settings: Any) -> dict[str, Any]:
    return {"files": [{"entity": "people", "path": str(path), "keys": ["id"]}], **settings}


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def test_a_mapped_stream_sends_its_schema_and_records_renamed_filtered_and_hashed(
    sync: Sync, write: Write
) -> None:
    run = sync(people(write("people.csv", CSV), stream_maps=CUSTOMERS))

    [schema] = [m for m in run.messages if m["type"] == "SCHEMA"]
    assert schema["stream"] == "customers"
    assert schema["key_properties"] == ["id"]
    assert schema["schema"]["properties"] == {
        "id": {"type": ["integer", "null"]},
        "age": {"type": ["integer", "null"]},
        "email_hash": {"type": ["string", "null"]},
    }
    assert run.records() == [
        {"id": 1, "age": 30, "email_hash": md5("ann@x.io")},
        {"id": 3, "age": 45, "email_hash": md5("cy@x.io")},
    ]
    assert {m["stream"] for m in run.messages if m["type"] == "RECORD"} == {"customers"}


def test_a_stream_mapped_to_null_sends_no_schema_and_no_records(sync: Sync, write: Write) -> None:
    run = sync(people(write("people.csv", CSV), stream_maps={"people": None}))

    assert [m["type"] for m in run.messages if m["type"] != "STATE"] == []


def test_a_bad_expression_exits_78_with_one_paragraph(run_tap: RunTap, write: Write) -> None:
    run = run_tap(people(write("people.csv", CSV), stream_maps={"people": {"h": "md5(emial)"}}))

    assert run.code == 78
    assert "stream_maps: Failed to evaluate simpleeval expressions md5(emial)" in run.stderr
    assert "'emial' is not defined" in run.stderr
    assert "Traceback" not in run.stderr


def test_about_lists_the_stream_map_settings(run_tap: RunTap, write: Write) -> None:
    [about] = run_tap(people(write("people.csv", CSV)), "--about", "--format", "json").messages

    assert {"stream_maps", "stream_map_config", "faker_config", "flattening_enabled"} <= set(
        about["settings"]["properties"]
    )
    assert {"stream-maps", "schema-flattening"} <= set(about["capabilities"])
