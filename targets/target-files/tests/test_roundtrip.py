"""Every format and codec writes files that independent readers give back exactly."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from elt.protocol import dumps
from tests.fixtures.lake import data_keys, manifests, read_records

PROPS: dict[str, Any] = {
    "id": {"type": "integer"},
    "big": {"type": ["integer", "null"]},
    "amount": {"type": ["number", "null"]},
    "ratio": {"type": ["number", "null"]},
    "at": {"type": ["string", "null"], "format": "date-time"},
    "day": {"type": ["string", "null"], "format": "date"},
    "flag": {"type": ["boolean", "null"]},
    "name": {"type": ["string", "null"]},
    "doc": {
        "type": ["object", "null"],
        "properties": {
            "k": {"type": "string"},
            "n": {"type": "array", "items": {"type": "integer"}},
        },
    },
    "tags": {"type": ["array", "null"], "items": {"type": "string"}},
}
RECORDS: list[dict[str, Any]] = [
    {"id": 1, "big": 2**63 - 1, "amount": Decimal("123456789012.123456789"), "ratio": 0.125,
     "at": "2026-01-01T00:00:00Z", "day": "2026-01-01", "flag": True,
     "name": 'Zoë "Z", Müller\nline two', "doc": {"k": "v", "n": [1, 2]}, "tags": ["a", "b"]},
    {"id": 2, "big": -(2**63), "amount": Decimal("-0.000000001"), "ratio": 2.5,
     "at": "2026-06-30T23:59:59.123456+02:00", "day": "2026-12-31", "flag": False, "name": "",
     "doc": {"k": "", "n": []}, "tags": []},
    {"id": 3, "big": None, "amount": None, "ratio": None, "at": None, "day": None, "flag": None,
     "name": None, "doc": None, "tags": None},
    {"id": 4, "big": 0, "amount": 0, "ratio": 0.1, "at": "2026-03-01T12:00:00", "day": "2026-03-01",
     "flag": True, "name": "東京 ✓ \\ tab\t", "doc": {"k": "ü", "n": [9007199254740993]},
     "tags": ["select", "from"]},
]  # fmt: skip
UTC_AT = [
    datetime(2026, 1, 1, tzinfo=UTC),
    datetime(2026, 6, 30, 21, 59, 59, 123456, tzinfo=UTC),
    None,
    datetime(2026, 3, 1, 12, tzinfo=UTC),
]
STREAMS = ["orders", "select", "Zürich «orders»", "s" * 200]


def messages(stream: str = "orders") -> list[dict[str, Any]]:
    return [
        {"type": "SCHEMA", "stream": stream, "schema": {"type": "object", "properties": PROPS},
         "key_properties": ["id"]},
        *({"type": "RECORD", "stream": stream, "record": r} for r in RECORDS),
        {"type": "STATE", "value": {"bookmarks": {stream: {"id": 4}}}},
    ]  # fmt: skip


def only_file(loaded: Any) -> list[dict[str, Any]]:
    assert loaded.run.error is None, loaded.run.error
    assert loaded.states == [{"bookmarks": {loaded.stream: {"id": 4}}}]
    (key,) = data_keys(loaded.store)
    return read_records(loaded.store, key)


def run(load: Callable[..., Any], stream: str = "orders", **settings: Any) -> list[dict[str, Any]]:
    loaded = load(messages(stream), **settings)
    loaded.stream = stream
    return only_file(loaded)


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
@pytest.mark.parametrize("stream", STREAMS)
def test_jsonl_gives_back_every_record_digit_for_digit(
    load: Callable[..., Any], compression: str, stream: str
) -> None:
    expected = [json.loads(dumps(r), parse_float=Decimal) for r in RECORDS]
    assert run(load, stream, compression=compression) == expected


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_csv_gives_back_every_value_as_text_with_null_apart_from_empty(
    load: Callable[..., Any], compression: str
) -> None:
    def text(value: Any) -> str | None:
        return value if value is None or isinstance(value, str) else dumps(value).decode()

    def exact(row: dict[str, Any]) -> dict[str, Any]:  # numbers compared by value, as Decimal
        return {k: Decimal(v) if k in ("amount", "ratio") and v else v for k, v in row.items()}

    expected = [exact({k: text(v) for k, v in r.items()}) for r in RECORDS]
    rows = run(load, format="csv", compression=compression)
    assert [exact(r) for r in rows] == expected
    assert rows[0]["amount"] == "123456789012.123456789"


@pytest.mark.parametrize("compression", ["snappy", "zstd", "gzip", "none"])
def test_parquet_decimal_keeps_exact_numbers_and_types_every_column(
    load: Callable[..., Any], compression: str
) -> None:
    rows = run(load, format="parquet", compression=compression, parquet_number="decimal")
    assert [r["amount"] for r in rows] == [r["amount"] for r in RECORDS]
    assert [r["ratio"] for r in rows] == [Decimal("0.125"), Decimal("2.5"), None, Decimal("0.1")]
    assert [r["big"] for r in rows] == [r["big"] for r in RECORDS]
    assert [r["at"] for r in rows] == UTC_AT
    assert [r["day"] for r in rows] == [
        date(2026, 1, 1),
        date(2026, 12, 31),
        None,
        date(2026, 3, 1),
    ]
    assert [r["flag"] for r in rows] == [True, False, None, True]
    assert [r["name"] for r in rows] == [r["name"] for r in RECORDS]
    assert [None if r["doc"] is None else json.loads(r["doc"]) for r in rows] == [
        r["doc"] for r in RECORDS
    ]
    assert [None if r["tags"] is None else json.loads(r["tags"]) for r in rows] == [
        r["tags"] for r in RECORDS
    ]


def test_parquet_double_rounds_numbers_to_the_nearest_double(load: Callable[..., Any]) -> None:
    rows = run(load, format="parquet")
    assert [r["amount"] for r in rows] == [123456789012.12346, -1e-09, None, 0.0]
    assert [r["ratio"] for r in rows] == [0.125, 2.5, None, 0.1]


def test_parquet_struct_nests_objects_and_arrays(load: Callable[..., Any]) -> None:
    rows = run(load, format="parquet", nested="struct")
    assert [r["doc"] for r in rows] == [r["doc"] for r in RECORDS]
    assert [r["tags"] for r in rows] == [r["tags"] for r in RECORDS]


def test_parquet_files_carry_the_singer_schema(load: Callable[..., Any]) -> None:
    import io

    import pyarrow.parquet as pq

    loaded = load(messages(), format="parquet")
    (key,) = data_keys(loaded.store)
    metadata = pq.read_schema(io.BytesIO(loaded.store.read(key))).metadata
    assert json.loads(metadata[b"elt.singer_schema"])["properties"] == PROPS


def test_the_manifest_lists_the_file_rows_bytes_and_schema(load: Callable[..., Any]) -> None:
    loaded = load(messages(), format="parquet")
    (manifest,) = manifests(loaded.store)
    (entry,) = manifest["files"]
    assert entry["rows"] == 4
    assert entry["bytes"] == len(loaded.store.read(entry["key"]))
    assert entry["url"].startswith("file:///")
    assert manifest["streams"]["orders"]["schemas"][entry["schema"]]["properties"] == PROPS
    assert manifest["settings"]["format"] == "parquet"
