from __future__ import annotations

import orjson
from tap_csv.records import encode_records, record_builder, record_prefix


def test_the_builder_maps_values_to_columns_in_order_for_any_column_name() -> None:
    names = ["id", "it's", 'say "x"', "ünï", "a\\b", "lambda"]
    build = record_builder(names)
    assert build(1, 2, 3, 4, 5, 6) == dict(zip(names, range(1, 7), strict=True))
    assert list(map(build, *[[1, 7]] * 6)) == [dict.fromkeys(names, 1), dict.fromkeys(names, 7)]


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
