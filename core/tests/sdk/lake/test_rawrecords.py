"""Whole RECORD lines in elt's spelling skip parsing on their way into Parquet and JSONL,
and lose nothing."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

import pytest
from singer_sdk.exceptions import MissingKeyPropertiesError

from elt.errors import ProtocolError
from elt.protocol import MessageReader, dumps
from tests.fixtures.lake import MemoryStore, MemoryTarget, data_keys, read_records, run_in_process

PROPERTIES = {
    "id": {"type": "integer"},
    "name": {"type": ["string", "null"]},
    "amount": {"type": ["number", "null"]},
    "at": {"type": ["string", "null"], "format": "date-time"},
    "day": {"type": ["string", "null"], "format": "date"},
}
SCHEMA = {"type": "SCHEMA", "stream": "s", "schema": {"properties": PROPERTIES},
          "key_properties": ["id"]}  # fmt: skip
ROWS = [
    {"id": 1, "name": "Zoë", "amount": 1.5, "at": "2026-01-01T10:00:00Z", "day": "2026-01-01"},
    {"id": 2, "name": None, "amount": None, "at": None, "day": None},
    {"id": 3, "name": "ok", "amount": 2, "at": "2026-03-01T00:00:00+02:00", "day": "2026-03-01"},
]


def compact(records: list[dict[str, Any]]) -> bytes:
    """SCHEMA and RECORD lines as elt's writers spell them (the routed spelling)."""
    messages = [SCHEMA, *({"type": "RECORD", "stream": "s", "record": r} for r in records)]
    return b"".join(dumps(m) + b"\n" for m in messages)


def spaced(records: list[dict[str, Any]]) -> bytes:
    """The same messages as json.dumps spells them (parsed line by line)."""
    messages = [SCHEMA, *({"type": "RECORD", "stream": "s", "record": r} for r in records)]
    return b"".join(json.dumps(m).encode() + b"\n" for m in messages)


def load(data: bytes, **config: Any) -> tuple[Any, MemoryStore]:
    store = MemoryStore()
    config.setdefault("format", "parquet")
    return run_in_process(MemoryTarget(store, **config), data), store


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_routed_lines_skip_the_reader_and_load_what_parsed_lines_load(fmt: str) -> None:
    routed: list[int] = []
    reader = MessageReader(io.BytesIO(compact(ROWS)), name="t")
    reader.raw_records[b'{"type":"RECORD","stream":"s","record":'] = lambda line, n: routed.append(
        n
    )
    assert [m["type"] for m in reader] == ["SCHEMA"]
    assert routed == [2, 3, 4]
    fast, fast_store = load(compact(ROWS), format=fmt)
    slow, slow_store = load(spaced(ROWS), format=fmt)
    assert fast.error is None
    assert slow.error is None
    assert read_records(fast_store, data_keys(fast_store)[0]) == read_records(
        slow_store, data_keys(slow_store)[0]
    )


def test_a_decimal_column_keeps_every_digit_through_routed_lines() -> None:
    rows = [{"id": 1, "amount": Decimal("12345678901234.123456789")}]
    done, store = load(compact(rows), parquet_number="decimal", decimal_scale=9)
    assert done.error is None
    assert read_records(store, data_keys(store)[0])[0]["amount"] == Decimal(
        "12345678901234.123456789"
    )


@pytest.mark.parametrize(
    ("bad_line", "error", "says"),
    [
        (b'{"type":"RECORD","stream":"s","record":{"id":"x"}}', ProtocolError, "'id'"),
        (b'{"type":"RECORD","stream":"s","record":{"id":4,"extra":1}}', ProtocolError, "extra"),
        (b'{"type":"RECORD","stream":"s","record":{"name":"no key"}}', MissingKeyPropertiesError,
         "lacks its key property 'id'"),
        (b'{"type":"RECORD","stream":"s","record":{"id":4', ProtocolError, "not valid JSON"),
    ],
)  # fmt: skip
def test_a_bad_routed_line_is_named_by_its_number(
    bad_line: bytes, error: type[Exception], says: str
) -> None:
    data = compact(ROWS) + bad_line + b"\n"
    done, store = load(data)
    assert isinstance(done.error, error)
    assert "line 5" in str(done.error)
    assert says in str(done.error)
    assert data_keys(store) == []
    assert done.states == []


def test_jsonl_takes_the_record_out_of_lines_with_a_version_and_time_extracted() -> None:
    lines = compact([]) + (
        b'{"type":"RECORD","stream":"s","record":{"id":1,"o":{"k":"}"}},"version":7,'
        b'"time_extracted":"2026-01-01T00:00:00+00:00"}\n'
    )
    done, store = load(lines, format="jsonl", compression="none")
    assert done.error is None
    assert store.read(data_keys(store)[0]) == b'{"id":1,"o":{"k":"}"}}\n'


def test_jsonl_keeps_the_digits_of_routed_lines_byte_for_byte() -> None:
    rows = [{"id": 2**70, "amount": Decimal("0.1000000000000000055511151231257827")}]
    done, store = load(compact(rows), format="jsonl", compression="none")
    assert done.error is None
    assert store.read(data_keys(store)[0]) == (
        b'{"id":1180591620717411303424,"amount":0.1000000000000000055511151231257827}\n'
    )


@pytest.mark.parametrize(
    ("bad_line", "error", "says"),
    [
        (b'{"type":"RECORD","stream":"s","record":{"name":"no key"}}', MissingKeyPropertiesError,
         "lacks its key property 'id'"),
        (b'{"type":"RECORD","stream":"s","record":{"id":4,}}', ProtocolError, "not valid JSON"),
    ],
)  # fmt: skip
def test_a_bad_routed_jsonl_line_is_named_by_its_number(
    bad_line: bytes, error: type[Exception], says: str
) -> None:
    done, store = load(compact(ROWS) + bad_line + b"\n", format="jsonl")
    assert isinstance(done.error, error)
    assert "line 5" in str(done.error)
    assert says in str(done.error)
    assert data_keys(store) == []


def test_stream_maps_turn_routing_off_so_every_record_is_mapped() -> None:
    maps = {"s": {"name": "name.upper() if name else None"}}
    done, store = load(compact(ROWS), stream_maps=maps)
    assert done.error is None
    assert [r["name"] for r in read_records(store, data_keys(store)[0])] == ["ZOË", None, "OK"]
