from __future__ import annotations

import re

import pytest

from elt.project.kinds import coerce, describe, parse_value, value_text
from elt.project.model import SettingKind


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (SettingKind.INTEGER, 5432, 5432),
        (SettingKind.INTEGER, "5432", 5432),
        (SettingKind.INTEGER, "-3", -3),
        (SettingKind.NUMBER, "1.5", 1.5),
        (SettingKind.NUMBER, "2", 2),
        (SettingKind.NUMBER, 7, 7),
        (SettingKind.BOOLEAN, True, True),
        (SettingKind.BOOLEAN, "false", False),
        (SettingKind.BOOLEAN, "TRUE", True),
        (SettingKind.BOOLEAN, "1", True),
        (SettingKind.BOOLEAN, "0", False),
        (SettingKind.STRING, "x", "x"),
        (SettingKind.STRING, 5, "5"),
        (SettingKind.PASSWORD, "secret", "secret"),
        (SettingKind.OBJECT, '{"a": 1}', {"a": 1}),
        (SettingKind.OBJECT, {"a": 1}, {"a": 1}),
        (SettingKind.ARRAY, '["a", "b"]', ["a", "b"]),
        (SettingKind.ARRAY, ["a"], ["a"]),
        (SettingKind.DATE_ISO8601, "2024-01-31", "2024-01-31"),
        (SettingKind.DATE_ISO8601, "2024-01-31T10:00:00+00:00", "2024-01-31T10:00:00+00:00"),
        (SettingKind.FILE, "keys/service.json", "keys/service.json"),
    ],
)
def test_coerce_accepts_the_natural_text_form_of_each_kind(
    kind: SettingKind, value: object, expected: object
) -> None:
    assert coerce(kind, value) == expected
    assert type(coerce(kind, value)) is type(expected)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (SettingKind.INTEGER, "abc", 'expected integer, got "abc"'),
        (SettingKind.INTEGER, "1.5", 'expected integer, got "1.5"'),
        (SettingKind.INTEGER, True, "expected integer, got true"),
        (SettingKind.NUMBER, "nan", 'expected number, got "nan"'),
        (SettingKind.BOOLEAN, "yes", 'expected boolean, got "yes"'),
        (SettingKind.BOOLEAN, 2, "expected boolean, got 2"),
        (SettingKind.STRING, {"a": 1}, "expected string, got a mapping"),
        (SettingKind.OBJECT, "[1]", 'expected object, got "[1]"'),
        (SettingKind.ARRAY, "not json", 'expected array, got "not json"'),
        (SettingKind.DATE_ISO8601, "yesterday", 'expected date_iso8601, got "yesterday"'),
        (SettingKind.FILE, "", 'expected file, got ""'),
    ],
)
def test_coerce_refuses_values_of_another_kind_saying_what_was_expected(
    kind: SettingKind, value: object, message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        coerce(kind, value)


def test_coerce_lets_null_through_for_every_kind() -> None:
    assert all(coerce(kind, None) is None for kind in SettingKind)


def test_describe_quotes_text_and_truncates_long_values() -> None:
    assert describe("abc") == '"abc"'
    assert describe(None) == "null"
    assert describe([1]) == "a list"
    assert describe("x" * 100) == '"' + "x" * 37 + '..."'


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("5432", None, 5432),
        ("true", None, True),
        ("1.5", None, 1.5),
        ("null", None, None),
        ("[a, b]", None, ["a", "b"]),
        ("{k: v}", None, {"k": "v"}),
        ("note: hi", None, "note: hi"),
        ("- a", None, "- a"),
        ("2024-01-01", None, "2024-01-01"),
        ("", None, ""),
        ("5432", SettingKind.STRING, "5432"),
        ("true", SettingKind.PASSWORD, "true"),
        ("5432", SettingKind.INTEGER, 5432),
        ("[unclosed", None, "[unclosed"),
    ],
)
def test_parse_value_reads_yaml_scalars_unless_the_kind_is_text(
    text: str, kind: SettingKind | None, expected: object
) -> None:
    assert parse_value(text, kind) == expected


def test_value_text_writes_text_as_is_and_the_rest_as_json() -> None:
    assert value_text("a b") == "a b"
    assert value_text(5432) == "5432"
    assert value_text(True) == "true"
    assert value_text(["a"]) == '["a"]'
