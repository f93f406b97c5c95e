from __future__ import annotations

import csv
import io

import pytest
from tap_csv.columns import Encoding, Kind, Nulls, convert
from tap_csv.csvfields import header_line, text_fields

DEFAULT = frozenset({""})


def test_a_column_without_special_characters_is_written_as_read() -> None:
    texts = ("Ann", "Zürich 東京", "  spaced  ", "")
    assert text_fields(texts, DEFAULT) is texts  # no copy: the empty text is the NULL field


@pytest.mark.parametrize(
    "special", ["a, b", 'say "hi"', "two\nlines", "crlf\r\ninside", "\\.", "ends with \\."]
)
def test_a_column_with_a_special_character_quotes_every_value_and_doubles_quotes(
    special: str,
) -> None:
    fields = text_fields(("plain", special, ""), DEFAULT)
    assert fields == ['"plain"', '"' + special.replace('"', '""') + '"', ""]
    [row] = csv.reader(io.StringIO(",".join(fields), newline=""))
    assert row == ["plain", special, ""]


def test_empty_strings_are_quoted_when_they_are_not_null() -> None:
    assert text_fields(("a", "", "NULL"), frozenset({"NULL"})) == ["a", '""', ""]
    assert text_fields(("a,b", "", "NULL"), frozenset({"NULL"})) == ['"a,b"', '""', ""]
    assert text_fields(("a", ""), frozenset()) == ["a", '""']


def test_the_header_is_quoted_like_a_column_of_its_names() -> None:
    assert header_line(["id", "ünï"]) == "id,ünï"
    assert header_line(["id", "a,b", 'say "x"']) == '"id","a,b","say ""x"""'


def test_typed_columns_keep_their_text_and_write_nulls_as_empty_fields() -> None:
    nulls = Nulls(["", "NULL"])
    assert convert(Kind.INTEGER, ["12345678901234567890123", "NULL", ""], nulls, Encoding.CSV) == [
        "12345678901234567890123",
        "",
        "",
    ]
    assert list(convert(Kind.NUMBER, ("1.50", "6.02E-23"), nulls, Encoding.CSV) or ()) == [
        "1.50",
        "6.02E-23",
    ]
    assert convert(Kind.BOOLEAN, ["TRUE", "False", ""], nulls, Encoding.CSV) == [
        "true",
        "false",
        "",
    ]
    assert convert(Kind.DATE_TIME, ["2026-01-01 10:00+02:00", "NULL"], nulls, Encoding.CSV) == [
        "2026-01-01 10:00+02:00",
        "",
    ]
    assert convert(Kind.INTEGER, ["1", "x"], nulls, Encoding.CSV) is None
