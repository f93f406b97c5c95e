"""Rows → CSV lines COPY reads back as the same values."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest
from target_postgres.copydata import csv_line, csv_safe, is_flat, line_from_json
from target_postgres.rows import NulCharacter


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("plain", True),
        ('quote "q"', True),
        ("back\\slash", True),
        ('both \\"', True),
        ("ends with \\", True),
        ("new\nline", False),
        ("\\n is not a newline", True),
        ("tab\t", False),
        ("\x01", False),
    ],
)
def test_csv_safe_accepts_exactly_the_escapes_csv_reads_as_json_does(
    value: str, safe: bool
) -> None:
    assert csv_safe(orjson.dumps([value])) is safe


def test_is_flat_sees_nested_values_but_not_brackets_in_strings() -> None:
    assert is_flat(orjson.dumps([1, "[x]", "{y}"]))
    assert not is_flat(orjson.dumps([1, [2]]))
    assert not is_flat(orjson.dumps([{"a": 1}, 2]))


def test_is_flat_errs_on_the_safe_side() -> None:
    # a string holding ",[" looks nested: the row takes the slower, always-right path
    assert not is_flat(orjson.dumps(["a,[b"]))


def test_line_from_json_undoes_escapes_csv_does_not_know() -> None:
    line = line_from_json(orjson.dumps(["a\nb\tc\x01", 'q"', "\\", None, 1.5]))

    assert line == b'"a\nb\tc\x01","q\\"","\\\\",null,1.5'


def test_line_from_json_refuses_nul() -> None:
    with pytest.raises(NulCharacter):
        line_from_json(orjson.dumps(["a\x00"]))


def test_csv_line_writes_every_kind_of_value() -> None:
    row = (None, True, False, 3, 2**70, 1.25, Decimal("1.10"), 's"\\', {"a": [1]}, [2])

    assert csv_line(row) == (
        b'null,true,false,3,1180591620717411303424,1.25,1.10,"s\\"\\\\","{\\"a\\":[1]}","[2]"'
    )


def test_csv_line_refuses_nul() -> None:
    with pytest.raises(NulCharacter):
        csv_line(("a\x00b",))
