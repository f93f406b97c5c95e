from __future__ import annotations

import io
from decimal import Decimal

import pytest

from elt.errors import ProtocolError
from elt.protocol import MessageReader, read_messages

SCHEMA = b'{"type":"SCHEMA","stream":"users","schema":{"properties":{"id":{"type":"integer"},"amount":{"type":"number"}}},"key_properties":["id"]}\n'


def pipe(data: bytes) -> io.BufferedReader:
    """A binary stream like stdin's buffer (has read1), the reader's fast path."""
    return io.BufferedReader(io.BytesIO(data))


def read_all(data: bytes, **kwargs: object) -> list[dict[str, object]]:
    return list(read_messages(pipe(data), **kwargs))  # type: ignore[arg-type]


def error_of(data: bytes, **kwargs: object) -> str:
    with pytest.raises(ProtocolError) as caught:
        read_all(data, **kwargs)
    return str(caught.value)


def test_reads_each_message_type_in_order() -> None:
    data = (
        SCHEMA
        + b'{"type":"RECORD","stream":"users","record":{"id":1}}\n'
        + b'{"type":"ACTIVATE_VERSION","stream":"users","version":3}\n'
        + b'{"type":"BATCH","stream":"users","encoding":{"format":"jsonl"},"manifest":["f"]}\n'
        + b'{"type":"STATE","value":{"bookmarks":{}}}\n'
    )
    kinds = [m["type"] for m in read_all(data)]
    assert kinds == ["SCHEMA", "RECORD", "ACTIVATE_VERSION", "BATCH", "STATE"]


def test_lines_split_across_chunks_are_reassembled() -> None:
    record = b'{"type":"RECORD","stream":"users","record":{"id":1,"pad":"' + b"x" * 3_000_000
    data = SCHEMA + record + b'"}}\n' + record + b'"}}\n'
    messages = read_all(data)
    assert len(messages) == 3
    assert len(messages[2]["record"]["pad"]) == 3_000_000  # type: ignore[index]


def test_text_streams_and_iterables_of_lines_are_accepted() -> None:
    text = SCHEMA.decode() + '{"type":"RECORD","stream":"users","record":{"id":"é"}}\n'
    assert len(list(read_messages(io.StringIO(text)))) == 2
    assert len(list(read_messages(text.splitlines(keepends=True)))) == 2


def test_blank_lines_and_crlf_are_tolerated() -> None:
    data = SCHEMA + b"\n  \r\n" + b'{"type":"RECORD","stream":"users","record":{"id":1}}\r\n'
    assert len(read_all(data)) == 2


def test_line_number_points_at_the_message_last_yielded() -> None:
    reader = MessageReader(pipe(SCHEMA + b"\n" + b'{"type":"STATE","value":{}}\n'))
    numbers = [reader.line_number for _ in reader]
    assert numbers == [1, 3]


def test_long_decimal_keeps_every_digit() -> None:
    data = (
        SCHEMA
        + b'{"type":"RECORD","stream":"users","record":{"id":1,"amount":123456789012.123456789012345678}}\n'
    )
    record = read_all(data)[1]["record"]
    assert record == {"id": 1, "amount": Decimal("123456789012.123456789012345678")}


def test_float_that_a_double_holds_exactly_stays_a_float() -> None:
    data = (
        SCHEMA
        + b'{"type":"RECORD","stream":"users","record":{"id":1,"amount":0.30000000000000004}}\n'
    )
    amount = read_all(data)[1]["record"]["amount"]  # type: ignore[index]
    assert type(amount) is float
    assert amount == 0.30000000000000004


def test_long_digit_string_is_not_mistaken_for_a_number() -> None:
    data = (
        SCHEMA
        + b'{"type":"RECORD","stream":"users","record":{"id":1,"phone":"12345678901234567890"}}\n'
    )
    assert read_all(data)[1]["record"]["phone"] == "12345678901234567890"  # type: ignore[index]


def test_integer_beyond_64_bits_is_kept_exactly() -> None:
    data = b'{"type":"RECORD","stream":"s","record":{"id":123456789012345678901234567890}}\n'
    assert read_all(data)[0]["record"]["id"] == 123456789012345678901234567890  # type: ignore[index]


def test_malformed_json_names_line_column_and_start_of_line() -> None:
    message = error_of(SCHEMA + b'{"type":"RECORD","stream":"users","record":{"id":1,}}\n')
    assert message.startswith("<stdin> line 2: not valid JSON")
    assert "column" in message
    assert '\'{"type":"RECORD"' in message


def test_error_uses_the_source_name() -> None:
    assert error_of(b"nope\n", name="tap-csv stdout").startswith("tap-csv stdout line 1:")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"[1, 2]", "expected a JSON object (one Singer message), got an array"),
        (b'"RECORD"', "expected a JSON object (one Singer message), got a string"),
        (b'{"stream":"users"}', 'message has no "type"; expected one of RECORD, SCHEMA'),
        (b'{"type":"RECORDS","stream":"users"}', "unknown message type 'RECORDS'"),
        (b'{"type":"RECORD","record":{}}', 'RECORD message has no "stream"'),
        (
            b'{"type":"RECORD","stream":"s","record":[1]}',
            '"record" must be an object, got an array',
        ),
        (b'{"type":"RECORD","stream":7,"record":{}}', '"stream" must be a string, got a number'),
        (b'{"type":"SCHEMA","stream":"s"}', 'SCHEMA message has no "schema"'),
        (b'{"type":"STATE"}', 'STATE message has no "value"'),
        (b'{"type":"ACTIVATE_VERSION","stream":"s","version":"3"}', '"version" must be an integer'),
        (
            b'{"type":"ACTIVATE_VERSION","stream":"s","version":true}',
            '"version" must be an integer',
        ),
        (b'{"type":"BATCH","stream":"s","encoding":{}}', 'BATCH message has no "manifest"'),
    ],
)
def test_message_that_breaks_the_protocol_is_named_with_its_line(
    line: bytes, expected: str
) -> None:
    message = error_of(SCHEMA + line + b"\n")
    assert message.startswith("<stdin> line 2: ")
    assert expected in message


def test_truncated_last_line_is_reported_as_a_cut_stream() -> None:
    message = error_of(SCHEMA + b'{"type":"RECORD","stream":"users","rec')
    assert message.startswith("<stdin> line 2: the stream ends in the middle of a message")
    assert "crashed or was killed" in message


def test_complete_last_line_without_newline_is_accepted() -> None:
    assert len(read_all(SCHEMA + b'{"type":"STATE","value":{}}')) == 2


def test_non_utf8_bytes_are_named_with_line_byte_and_column() -> None:
    message = error_of(SCHEMA + b'{"type":"RECORD","stream":"users","record":{"n":"\xff"}}\n')
    assert message.startswith("<stdin> line 2: byte 0xff at column 50 is not valid UTF-8")


def test_50_mb_single_line_is_refused_without_buffering_it_whole() -> None:
    huge = b'{"type":"RECORD","stream":"s","record":{"x":"' + b"a" * (50 * 1024 * 1024)
    message = error_of(SCHEMA + huge + b'"}}\n')
    assert message.startswith("<stdin> line 2: line is longer than 16 MiB")
    assert "BATCH" in message


def test_line_limit_is_configurable() -> None:
    line = b'{"type":"STATE","value":{"x":"' + b"a" * 2000 + b'"}}\n'
    assert len(read_all(line, max_line_bytes=4096)) == 1
    assert "longer than" in error_of(line, max_line_bytes=1024)


@pytest.mark.parametrize(
    "value",
    [18446744073709551615, 18446744073709551616, -9223372036854775808, -9223372036854775809],
)
def test_integers_at_the_64_bit_edges_stay_integers(value: int) -> None:
    data = b'{"type":"RECORD","stream":"s","record":{"id":%d}}\n' % value
    parsed = read_all(data)[0]["record"]["id"]  # type: ignore[index]
    assert type(parsed) is int
    assert parsed == value


def test_iterables_of_byte_lines_are_accepted() -> None:
    lines = [SCHEMA, b'{"type":"STATE","value":{}}']
    assert [m["type"] for m in read_messages(lines)] == ["SCHEMA", "STATE"]


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_are_not_json(constant: bytes) -> None:
    line = b'{"type":"RECORD","stream":"users","record":{"amount":' + constant + b"}}\n"
    assert "not valid JSON" in error_of(SCHEMA + line)


def test_seventeen_digit_float_written_by_python_stays_an_exact_float() -> None:
    value = 1 / 7
    data = SCHEMA + b'{"type":"RECORD","stream":"users","record":{"amount":%r}}\n' % value
    amount = read_all(data)[1]["record"]["amount"]  # type: ignore[index]
    assert type(amount) is float
    assert amount == value


@pytest.mark.parametrize(
    ("line", "key"),
    [
        # a RECORD turned into a STATE by a second "type": the record would be dropped
        (b'{"type":"RECORD","stream":"users","record":{"id":1},"type":"STATE","value":{}}', "type"),
        (b'{"type":"STATE","value":{},"type":"RECORD","stream":"users","record":{"id":1}}', "type"),
        (
            b'{"type":"ACTIVATE_VERSION","stream":"users","version":3,"type":"RECORD","record":{}}',
            "type",
        ),
        (b'{"type":"RECORD","stream":"users","record":{"id":1},"record":{"id":2}}', "record"),
        (
            b'{"type": "RECORD", "stream": "users", "record": {"id": 1}, "record": {"id": 2}}',
            "record",
        ),
        (b'{"type":"RECORD","stream":"users","stream":"others","record":{"id":1}}', "stream"),
        (
            b'{"type":"RECORD","stream":"users","record":{"id":1},"version":1,"version":2}',
            "version",
        ),
        (
            b'{"type":"RECORD","stream":"users","record":{},"time_extracted":"a","time_extracted":"b"}',
            "time_extracted",
        ),
        (b'{"type":"RECORD","stream":"users","record":{"stream":"x"},"stream":"y"}', "stream"),
        (b'{"type":"STATE","value":{"a":1},"value":{"b":2}}', "value"),
        (b'{"type":"STATE","value":{"a":1},"v\\u0061lue":{"b":2}}', "value"),
        (b'{"type":"SCHEMA","stream":"users","schema":{},"schema":{"type":"object"}}', "schema"),
        (
            b'{"type":"BATCH","stream":"users","encoding":{},"manifest":[],"manifest":["f"]}',
            "manifest",
        ),
    ],
)
def test_a_key_repeated_in_the_envelope_is_refused_naming_the_line(line: bytes, key: str) -> None:
    message = error_of(SCHEMA + line + b"\n")
    assert message.startswith(
        f'<stdin> line 2: the key "{key}" appears more than once in this message; JSON does '
        "not say which one counts. Each key of a Singer message must appear once"
    )


def test_envelope_names_inside_a_record_are_data_and_a_repeated_key_there_keeps_its_last() -> None:
    lines = [
        b'{"type":"RECORD","stream":"users","record":{"id":1,"type":"a","stream":"b","record":"c"}}',
        b'{"type": "RECORD", "stream": "record", "record": {"stream": {"record": 1}}}',
        b'{"type":"RECORD","stream":"users","record":{"id":1,"id":2},"version":4}',
        b'{"type":"STATE","value":{"type":"value","stream":{"value":1}}}',
        b'{"type":"RECORD","stream":"users","record":{"n":"caf\\u00e9"},"time_extracted":"t"}',
    ]
    messages = read_all(SCHEMA + b"\n".join(lines) + b"\n")
    assert [m["type"] for m in messages] == [
        "SCHEMA",
        "RECORD",
        "RECORD",
        "RECORD",
        "STATE",
        "RECORD",
    ]
    assert messages[1]["record"] == {"id": 1, "type": "a", "stream": "b", "record": "c"}
    assert messages[2]["stream"] == "record"
    assert messages[3]["record"] == {"id": 2}
    assert messages[5]["record"] == {"n": "café"}


@pytest.mark.parametrize("depth", [1_025, 100_000])
def test_nesting_deeper_than_1024_levels_is_refused_naming_the_line(depth: int) -> None:
    line = b'{"type":"RECORD","stream":"users","record":{"x":' + b"[" * depth + b"]" * depth
    message = error_of(SCHEMA + line + b"}}\n")
    assert message.startswith(
        "<stdin> line 2: the message is nested more than 1,024 levels deep (arrays and objects "
        "within each other)"
    )
    assert "RecursionError" not in message


def test_nesting_of_1000_levels_is_read() -> None:
    line = b'{"type":"RECORD","stream":"users","record":{"x":' + b"[" * 1000 + b"]" * 1000
    assert len(read_all(SCHEMA + line + b"}}\n")) == 2


def test_a_record_key_repeated_with_an_escaped_spelling_is_refused() -> None:
    line = b'{"type":"RECORD","stream":"users","record":{"id":1},"rec\\u006frd":{"id":2}}\n'
    assert 'the key "record" appears more than once' in error_of(SCHEMA + line)


@pytest.mark.parametrize(
    ("token", "exact"),
    [
        (b"1e-400", Decimal("1e-400")),
        (b"-2.5E-330", Decimal("-2.5E-330")),
        (b"1.234567890123e-315", Decimal("1.234567890123e-315")),  # a subnormal's digits
        (b"1e999", Decimal("1e999")),
    ],
)
def test_a_number_too_small_or_large_for_a_double_is_kept_exactly(
    token: bytes, exact: Decimal
) -> None:
    data = SCHEMA + b'{"type":"RECORD","stream":"users","record":{"n":' + token + b"}}\n"
    assert read_all(data)[1]["record"]["n"] == exact  # type: ignore[index]


def test_a_small_exponent_a_double_holds_stays_a_float() -> None:
    data = (
        SCHEMA
        + b'{"type":"RECORD","stream":"users","record":{"n":1e-05,"m":5e-324,"t":"re-run"}}\n'
    )
    record = read_all(data)[1]["record"]
    assert record == {"n": 1e-05, "m": 5e-324, "t": "re-run"}
    assert type(record["m"]) is float  # type: ignore[index]
