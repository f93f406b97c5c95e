from __future__ import annotations

import io

import pytest

from elt.errors import ProtocolError
from elt.protocol import summarize

STREAM = (
    b'{"type":"SCHEMA","stream":"users","schema":{"properties":{"id":{},"name":{}}},"key_properties":["id"]}\n'
    b'{"type":"RECORD","stream":"users","record":{"id":1}}\n'
    b'{"type":"RECORD","stream":"users","record":{"id":2}}\n'
    b'{"type":"STATE","value":{"bookmarks":{"users":{"id":2}}}}\n'
    b'{"type":"SCHEMA","stream":"orders","schema":{"properties":{"id":{}}},"key_properties":[]}\n'
    b'{"type":"RECORD","stream":"orders","record":{"id":9}}\n'
    b'{"type":"STATE","value":{"bookmarks":{"orders":{"id":9}}}}\n'
)


def test_counts_messages_per_stream_and_merges_states() -> None:
    summary = summarize(io.BytesIO(STREAM))
    assert summary.lines == 7
    assert summary.records == 3
    assert list(summary.streams) == ["users", "orders"]
    users = summary.streams["users"]
    assert (users.key_properties, users.properties, users.messages["RECORD"]) == (["id"], 2, 2)
    assert summary.states == 2
    assert summary.last_state == {"bookmarks": {"orders": {"id": 9}}}
    assert summary.merged_state == {"bookmarks": {"users": {"id": 2}, "orders": {"id": 9}}}


def test_record_before_its_schema_is_named_with_line_and_stream() -> None:
    data = STREAM + b'{"type":"RECORD","stream":"refunds","record":{"id":1}}\n'
    with pytest.raises(ProtocolError) as caught:
        summarize(io.BytesIO(data), name="tap.out")
    assert str(caught.value).startswith(
        "tap.out line 8: RECORD for stream 'refunds' comes before any SCHEMA for it"
    )
