"""The peers' kinds of Singer input (tests/fixtures/singer) through every format, every value
checked: ACTIVATE_VERSION before SCHEMA, encoded strings, interleaved streams, reserved and
mixed-case names, nested values sent as strings, hard texts, undeclared metadata fields."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from elt.errors import ProtocolError
from elt.protocol import dumps
from elt.sdk.lake import safe_segment
from tests.fixtures.lake import data_keys, manifests, read_records

FIXTURES = Path(__file__).parents[3] / "tests" / "fixtures" / "singer"
FORMATS = ["jsonl", "csv", "parquet"]


def messages(name: str) -> list[dict[str, Any]]:
    text = (FIXTURES / f"{name}.jsonl").read_text(encoding="utf-8")
    return [json.loads(line, parse_float=Decimal) for line in text.splitlines()]


def expected(value: Any, spec: dict[str, Any], fmt: str) -> Any:
    """What a reader of ``fmt`` gets back for ``value`` of a property declared ``spec``."""
    types = set(spec["type"]) if isinstance(spec["type"], list) else {spec["type"]}
    if value is None or fmt == "jsonl":
        return value
    if types & {"object", "array"}:  # a nested column holds the JSON text of the value
        return dumps(value).decode()
    if fmt == "csv":
        return value if isinstance(value, str) else dumps(value).decode()
    return float(value) if "number" in types else value


def normal(value: Any) -> Any:
    """Numbers by value (``1.5`` and ``Decimal("1.5")``, ``"-1e-06"`` and ``-0.000001``)."""
    if isinstance(value, float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    if isinstance(value, str) and value[:1] in "-0123456789":
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
    return value


def loaded_streams(loaded: Any) -> dict[str, list[dict[str, Any]]]:
    assert loaded.run.error is None, loaded.run.error
    streams: dict[str, list[dict[str, Any]]] = {}
    for key in data_keys(loaded.store):
        streams.setdefault(key.split("/")[0], []).extend(read_records(loaded.store, key))
    return streams


def sent_streams(sent: list[dict[str, Any]], fmt: str) -> dict[str, list[dict[str, Any]]]:
    schemas = {m["stream"]: m["schema"]["properties"] for m in sent if m["type"] == "SCHEMA"}
    streams: dict[str, list[dict[str, Any]]] = {}
    for m in sent:
        if m["type"] == "RECORD":
            props = schemas[m["stream"]]
            row = {k: expected(v, props[k], fmt) for k, v in m["record"].items()}
            if fmt != "jsonl":
                row = {k: row.get(k) for k in props}  # every column, in the SCHEMA's order
            streams.setdefault(safe_segment(m["stream"]), []).append(row)
    return streams


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "name",
    ["activate_version_first", "encoded_strings", "interleaved", "names",
     "nested_as_strings", "texts"],
)  # fmt: skip
def test_every_value_of_the_peers_input_comes_back(
    load: Callable[..., Any], name: str, fmt: str
) -> None:
    sent = messages(name)
    loaded = load(sent, format=fmt)
    got = loaded_streams(loaded)
    want = sent_streams(sent, fmt)
    assert {s: [{k: normal(v) for k, v in r.items()} for r in rows] for s, rows in got.items()} == {
        s: [{k: normal(v) for k, v in r.items()} for r in rows] for s, rows in want.items()
    }
    assert loaded.states == [[m for m in sent if m["type"] == "STATE"][-1]["value"]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_activate_version_before_the_schema_is_recorded_in_the_manifest(
    load: Callable[..., Any], fmt: str
) -> None:
    loaded = load(messages("activate_version_first"), format=fmt)
    (manifest,) = manifests(loaded.store)
    assert manifest["streams"]["plans"]["activate_version"] == 1700000000000


def test_jsonl_keeps_undeclared_metadata_fields_as_received(load: Callable[..., Any]) -> None:
    sent = messages("undeclared_metadata")
    got = loaded_streams(load(sent))
    assert got == {"users": [m["record"] for m in sent if m["type"] == "RECORD"]}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_csv_and_parquet_refuse_an_undeclared_field_rather_than_drop_it(
    load: Callable[..., Any], fmt: str
) -> None:
    loaded = load(messages("undeclared_metadata"), format=fmt)
    error = loaded.run.error
    assert isinstance(error, ProtocolError)
    assert error.where == "<input> line 2, stream 'users', property '_sdc_deleted_at'"
    assert data_keys(loaded.store) == []
    assert loaded.states == []
