"""Extreme numbers survive every format exactly, or the record is refused (exit 65).

``1e-400`` is not zero and ``1e999`` is not infinity: JSONL and CSV keep the number as it
was sent, Parquet decimal columns refuse what does not fit, and Parquet double columns —
which round to the nearest double by choice — refuse a number that would become 0 or
infinity. Each case runs through both record paths: whole lines in elt's spelling (routed
unparsed) and lines parsed one by one (spaced as ``json.dumps`` writes them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from elt.errors import ProtocolError
from tests.fixtures.lake import data_keys, read_records

TOO_SMALL = ["1e-400", "-2.5E-330", "123e-330"]
TOO_LARGE = ["1e999", "-1.5E+400"]
DOUBLES = ["1.5e-320", "5e-324", "1e-300", "1.7976931348623157e308", "0.0", "-0"]
SPELLINGS = ["routed", "parsed"]


def lines(numbers: list[str], spelling: str) -> bytes:
    """A SCHEMA and one RECORD per number (its text put into the line as it is)."""
    schema = {"type": "SCHEMA", "stream": "n", "key_properties": ["id"],
              "schema": {"properties": {"id": {"type": "integer"}, "x": {"type": "number"}}}}  # fmt: skip
    sep = (",", ":") if spelling == "routed" else (", ", ": ")
    out = [json.dumps(schema, separators=sep)]
    for i, number in enumerate(numbers):
        head = json.dumps({"type": "RECORD", "stream": "n", "record": {"id": i}}, separators=sep)
        out.append(f"{head[:-2]}{sep[0]}{json.dumps('x')}{sep[1]}{number}}}}}")
    return ("\n".join(out) + "\n").encode()


def values(loaded: Any) -> list[Any]:
    assert loaded.run.error is None, loaded.run.error
    rows = [row for key in data_keys(loaded.store) for row in read_records(loaded.store, key)]
    return [row["x"] for row in sorted(rows, key=lambda row: int(row["id"]))]


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("settings", [{}, {"date_field": "d"}])  # routed, or always parsed
def test_jsonl_keeps_every_extreme_number_exactly(
    load: Callable[..., Any], spelling: str, settings: dict[str, Any]
) -> None:
    numbers = [*TOO_SMALL, *TOO_LARGE, *DOUBLES]
    got = values(load(lines(numbers, spelling), **settings))
    assert [Decimal(str(v)) for v in got] == [Decimal(n) for n in numbers]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_csv_keeps_every_extreme_number_exactly(load: Callable[..., Any], spelling: str) -> None:
    numbers = [*TOO_SMALL, *TOO_LARGE, *DOUBLES]
    got = values(load(lines(numbers, spelling), format="csv"))
    assert [Decimal(v) for v in got] == [Decimal(n) for n in numbers]


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("number", [*TOO_SMALL, *TOO_LARGE])
@pytest.mark.parametrize("kind", ["double", "decimal"])
def test_parquet_refuses_a_number_its_column_cannot_hold_naming_line_and_property(
    load: Callable[..., Any], spelling: str, number: str, kind: str
) -> None:
    loaded = load(lines(["1.5", "0", number], spelling), format="parquet", parquet_number=kind)
    error = loaded.run.error
    assert isinstance(error, ProtocolError), error
    assert error.where == "<input> line 4, stream 'n', property 'x'"
    assert data_keys(loaded.store) == []
    assert loaded.states == []


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_parquet_double_keeps_every_number_a_double_holds(
    load: Callable[..., Any], spelling: str
) -> None:
    got = values(load(lines(DOUBLES, spelling), format="parquet"))
    assert got == [float(n) for n in DOUBLES]
