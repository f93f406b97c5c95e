from __future__ import annotations

import random
from decimal import Decimal

import orjson
import pytest
from tap_csv.columns import Encoding, Kind, Nulls, convert, fits, misfits, widen

DEFAULT = Nulls([""])


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (Kind.INTEGER, "0"),
        (Kind.INTEGER, "-0"),
        (Kind.INTEGER, "-17"),
        (Kind.INTEGER, "123456789012345678901234567890"),
        (Kind.NUMBER, "1.50"),
        (Kind.NUMBER, "-0.001"),
        (Kind.NUMBER, "2e10"),
        (Kind.NUMBER, "6.02E-23"),
        (Kind.NUMBER, "42"),
        (Kind.BOOLEAN, "true"),
        (Kind.BOOLEAN, "FALSE"),
        (Kind.DATE, "2024-02-29"),
        (Kind.DATE_TIME, "2026-01-01T00:00:00Z"),
        (Kind.DATE_TIME, "2026-01-01 10:30"),
        (Kind.DATE_TIME, "2026-01-01T10:30:00.123456+05:30"),
        (Kind.DATE_TIME, "2026-01-01T10:30:00-0800"),
    ],
)
def test_canonical_spellings_fit_their_kind(kind: Kind, text: str) -> None:
    assert fits(kind, text)
    assert convert(kind, [text], DEFAULT, Encoding.JSON) is not None


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (Kind.INTEGER, "00501"),  # a zip code: the zeros are data
        (Kind.INTEGER, "+5"),
        (Kind.INTEGER, "1_000"),
        (Kind.INTEGER, " 5"),
        (Kind.INTEGER, "٣"),  # int() would take an Arabic-Indic digit
        (Kind.INTEGER, "1.0"),
        (Kind.INTEGER, "-"),
        (Kind.NUMBER, ".5"),
        (Kind.NUMBER, "5."),
        (Kind.NUMBER, "NaN"),
        (Kind.NUMBER, "inf"),
        (Kind.NUMBER, "01.5"),
        (Kind.NUMBER, "1e"),
        (Kind.NUMBER, "1,5"),
        (Kind.BOOLEAN, "yes"),
        (Kind.BOOLEAN, "1"),
        (Kind.DATE, "2023-02-29"),
        (Kind.DATE, "20240101"),
        (Kind.DATE_TIME, "2026-13-01T00:00:00"),
        (Kind.DATE_TIME, "2026-01-01T24:00:00"),
        (Kind.DATE_TIME, "2026-W01-1"),
        (Kind.DATE_TIME, "2026-01-01T00:00:00.1234567"),
    ],
)
def test_non_canonical_spellings_do_not_fit(kind: Kind, text: str) -> None:
    assert not fits(kind, text)
    assert convert(kind, [text], DEFAULT, Encoding.JSON) is None
    assert list(misfits(kind, ["", text], DEFAULT)) == [1]


def test_json_values_write_the_exact_text_and_python_values_are_exact() -> None:
    big, precise = "123456789012345678901234567890", "3.141592653589793238462643383279"
    wire = convert(Kind.NUMBER, [big, precise, ""], DEFAULT, Encoding.JSON)
    assert wire is not None
    assert orjson.dumps(list(wire)) == f"[{big},{precise},null]".encode()
    assert convert(Kind.INTEGER, [big], DEFAULT, Encoding.PYTHON) == [int(big)]
    assert convert(Kind.NUMBER, [precise], DEFAULT, Encoding.PYTHON) == [Decimal(precise)]


def test_empty_field_is_null_in_typed_columns_whatever_null_values_say() -> None:
    keep_empty = Nulls([])
    assert convert(Kind.INTEGER, ["1", ""], keep_empty, Encoding.PYTHON) == [1, None]
    assert convert(Kind.BOOLEAN, ["true", ""], keep_empty, Encoding.PYTHON) == [True, None]
    assert list(convert(Kind.STRING, ["a", ""], keep_empty, Encoding.PYTHON) or ()) == ["a", ""]
    assert convert(Kind.STRING, ["a", ""], DEFAULT, Encoding.PYTHON) == ["a", None]


def test_null_values_are_null_in_every_column() -> None:
    nulls = Nulls(["", "NULL", "\\N"])
    assert convert(Kind.INTEGER, ["1", "NULL", "\\N", ""], nulls, Encoding.PYTHON) == [
        1,
        None,
        None,
        None,
    ]
    assert convert(Kind.STRING, ["a", "NULL"], nulls, Encoding.PYTHON) == ["a", None]
    assert convert(Kind.DATE, ["2024-01-01", "\\N"], nulls, Encoding.PYTHON) == ["2024-01-01", None]
    assert convert(Kind.INTEGER, ["1", "N/A"], nulls, Encoding.PYTHON) is None


def test_a_line_break_inside_a_value_never_passes_as_two_numbers() -> None:
    assert convert(Kind.INTEGER, ["1", "12\n34"], DEFAULT, Encoding.JSON) is None


def test_widening_goes_to_the_nearest_kind_that_holds_every_value() -> None:
    assert widen(Kind.INTEGER, ["1", "2.5"], DEFAULT) is Kind.NUMBER
    assert widen(Kind.INTEGER, ["1", "x"], DEFAULT) is Kind.STRING
    assert widen(Kind.NUMBER, ["1.5", "NaN"], DEFAULT) is Kind.STRING
    assert widen(Kind.BOOLEAN, ["true", "maybe"], DEFAULT) is Kind.STRING
    assert widen(Kind.DATE_TIME, ["2026-01-01T00:00:00", "soon"], DEFAULT) is Kind.STRING
    assert widen(Kind.INTEGER, ["1", ""], DEFAULT) is Kind.INTEGER


@pytest.mark.parametrize("kind", [Kind.INTEGER, Kind.NUMBER, Kind.DATE, Kind.DATE_TIME])
def test_column_check_agrees_with_the_value_check_on_random_texts(kind: Kind) -> None:
    """The batch check (shapes in C) and the per-value check (regex) must never disagree."""
    alphabets = ["0123456789-+.eEZT: \n", "0123456789", "01-"]
    seeds = [
        "0",
        "00",
        "007",
        "10",
        "-0",
        "1.5",
        "0.25",
        "1e5",
        "2026-01-31",
        "2026-01-31T10:00:00Z",
        "",
    ]
    rng = random.Random(1234)
    for _ in range(5000):
        alphabet = rng.choice(alphabets)
        values = [
            rng.choice(seeds)
            if rng.random() < 0.5
            else "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
            for _ in range(rng.randint(1, 6))
        ]
        expected = all(value == "" or fits(kind, value) for value in values)
        assert (convert(kind, values, DEFAULT, Encoding.JSON) is not None) is expected, values
