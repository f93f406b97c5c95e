from __future__ import annotations

from decimal import Decimal

import orjson

from core.tests.sdk.toy import TapToy
from elt.protocol import loads_exact
from elt.sdk import encode_records, maps_are_identity, record_prefix


def test_encoded_batches_are_one_valid_record_message_per_line() -> None:
    records = [
        {"id": 1, "text": '},{"id":1', "n": orjson.Fragment(b"1.50")},
        {"id": 2, "text": "line\nbreak", "n": None},
    ]
    lines = encode_records(record_prefix("my stream"), records, None).splitlines()
    assert [orjson.loads(line) for line in lines] == [
        {
            "type": "RECORD",
            "stream": "my stream",
            "record": {"id": 1, "text": '},{"id":1', "n": 1.5},
        },
        {
            "type": "RECORD",
            "stream": "my stream",
            "record": {"id": 2, "text": "line\nbreak", "n": None},
        },
    ]
    assert b'"n":1.50' in lines[0]


def test_a_stream_version_is_added_to_every_line() -> None:
    data = encode_records(record_prefix("s"), [{"a": 1}, {"a": 2}], 42)
    assert data == (
        b'{"type":"RECORD","stream":"s","record":{"a":1},"version":42}\n'
        b'{"type":"RECORD","stream":"s","record":{"a":2},"version":42}\n'
    )
    assert encode_records(record_prefix("s"), [], None) == b""


def test_decimals_and_huge_integers_are_written_with_every_digit() -> None:
    records = [
        {"amount": Decimal("12345678901234567.891"), "big": 2**70},
        {"amount": 1.5, "big": 1},
    ]
    data = encode_records(record_prefix("s"), records, None)
    assert data == (
        b'{"type":"RECORD","stream":"s","record":{"amount":12345678901234567.891,'
        b'"big":1180591620717411303424}}\n'
        b'{"type":"RECORD","stream":"s","record":{"amount":1.5,"big":1}}\n'
    )
    first = loads_exact(data.splitlines()[0])
    assert first["record"] == {"amount": Decimal("12345678901234567.891"), "big": 2**70}


def test_only_a_stream_without_maps_counts_as_identity() -> None:
    plain = TapToy(config={}).streams["numbers"]
    assert maps_are_identity(plain)
    mapped = TapToy(config={"stream_maps": {"numbers": {"extra": "1"}}}).streams["numbers"]
    assert not maps_are_identity(mapped)


def test_a_flattening_stream_is_not_identity() -> None:
    config = {"flattening_enabled": True, "flattening_max_depth": 1}
    assert not maps_are_identity(TapToy(config=config).streams["numbers"])
