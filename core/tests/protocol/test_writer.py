from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import orjson

from elt.protocol import MessageWriter, read_messages


class CountingSink(io.BytesIO):
    """A binary file that counts how often it is written to and flushed."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.flushes = 0

    def write(self, data: object) -> int:  # type: ignore[override]
        self.writes += 1
        return super().write(data)  # type: ignore[arg-type]

    def flush(self) -> None:
        self.flushes += 1


def lines(sink: io.BytesIO) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in sink.getvalue().splitlines()]


def test_records_are_buffered_not_written_one_by_one() -> None:
    sink = CountingSink()
    writer = MessageWriter(sink, buffer_bytes=64 * 1024)
    for i in range(1000):
        writer.write_record("users", {"id": i})
    assert sink.writes < 5
    assert sink.flushes == 0


def test_state_flushes_everything_before_it() -> None:
    sink = CountingSink()
    writer = MessageWriter(sink)
    writer.write_record("users", {"id": 1})
    writer.write_state({"bookmarks": {"users": {"id": 1}}})
    assert sink.flushes == 1
    assert [m["type"] for m in lines(sink)] == ["RECORD", "STATE"]


def test_close_flushes_the_tail() -> None:
    sink = CountingSink()
    with MessageWriter(sink) as writer:
        writer.write_record("users", {"id": 1})
        assert sink.getvalue() == b""
    assert len(lines(sink)) == 1


def test_every_message_type_round_trips_through_the_reader() -> None:
    sink = io.BytesIO()
    with MessageWriter(sink) as writer:
        writer.write_schema("users", {"properties": {}}, ["id"], bookmark_properties=["ts"])
        writer.write_record("users", {"id": 1}, version=7, time_extracted="2026-01-01T00:00:00Z")
        writer.write_activate_version("users", 7)
        writer.write_batch("users", {"format": "jsonl", "compression": "gzip"}, ["file:///x"])
        writer.write_state({"bookmarks": {}})
    sink.seek(0)
    messages = list(read_messages(sink))
    assert messages[0] == {
        "type": "SCHEMA",
        "stream": "users",
        "schema": {"properties": {}},
        "key_properties": ["id"],
        "bookmark_properties": ["ts"],
    }
    assert messages[1] == {
        "type": "RECORD",
        "stream": "users",
        "record": {"id": 1},
        "version": 7,
        "time_extracted": "2026-01-01T00:00:00Z",
    }
    assert [m["type"] for m in messages[2:]] == ["ACTIVATE_VERSION", "BATCH", "STATE"]


def test_decimals_are_written_as_exact_json_numbers() -> None:
    sink = io.BytesIO()
    with MessageWriter(sink) as writer:
        writer.write_record(
            "s", {"a": Decimal("123456789012.123456789012345678"), "n": Decimal("NaN")}
        )
    assert b'"a":123456789012.123456789012345678' in sink.getvalue()
    assert b'"n":null' in sink.getvalue()
    sink.seek(0)
    assert next(read_messages(sink))["record"] == {
        "a": Decimal("123456789012.123456789012345678"),
        "n": None,
    }


def test_datetimes_and_unicode_are_written_as_json_text() -> None:
    sink = io.BytesIO()
    moment = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    with MessageWriter(sink) as writer:
        writer.write_record("s", {"at": moment, "city": "Zürich"}, time_extracted=moment)
    message = lines(sink)[0]
    assert message["record"] == {"at": "2026-11-21T10:00:00+00:00", "city": "Zürich"}
    assert message["time_extracted"] == "2026-11-21T10:00:00+00:00"


def test_stream_names_needing_escapes_produce_valid_json() -> None:
    sink = io.BytesIO()
    with MessageWriter(sink) as writer:
        writer.write_record('we"ird\nname', {"id": 1})
    assert lines(sink)[0]["stream"] == 'we"ird\nname'


def test_integers_beyond_64_bits_are_written_exactly() -> None:
    sink = io.BytesIO()
    with MessageWriter(sink) as writer:
        writer.write_record("s", {"id": 2**70, "nested": [{"n": -(2**65)}]})
        writer.write_state({"bookmarks": {"s": {"id": 2**70}}})
    sink.seek(0)
    messages = list(read_messages(sink))
    assert messages[0]["record"] == {"id": 2**70, "nested": [{"n": -(2**65)}]}
    assert messages[1]["value"] == {"bookmarks": {"s": {"id": 2**70}}}
