from __future__ import annotations

import pytest
from tap_csv.columns import Encoding, Kind, Nulls
from tap_csv.converter import BatchConverter
from tap_csv.files import SourceFile
from tap_csv.inference import Column
from tap_csv.rows import RowBatch

from elt.errors import ProtocolError

SOURCE = SourceFile("a.csv", mtime_ns=0, size=0)


def batch(*rows: list[str], first_line: int = 2) -> RowBatch:
    return RowBatch(list(rows), range(1, len(rows) + 1), first_line, multiline=False)


def test_a_widening_reports_the_first_row_that_did_not_fit() -> None:
    converter = BatchConverter([Column("n", Kind.INTEGER)], Nulls([""]), Encoding.PYTHON)
    values, [widening] = converter.convert(batch(["1"], ["2.5"], ["x"]), SOURCE, [0])
    assert (widening.before.kind, widening.after.kind, widening.index) == (
        Kind.INTEGER,
        Kind.STRING,
        1,
    )
    assert list(values[0]) == ["1", "2.5", "x"]
    assert converter.columns[0].kind is Kind.STRING


def test_a_null_in_an_inferred_not_null_column_makes_it_nullable() -> None:
    converter = BatchConverter(
        [Column("n", Kind.INTEGER, nullable=False)], Nulls([""]), Encoding.PYTHON
    )
    values, [widening] = converter.convert(batch(["1"], [""]), SOURCE, [0])
    assert (widening.after.kind, widening.after.nullable) == (Kind.INTEGER, True)
    assert list(values[0]) == [1, None]


def test_a_declared_not_null_column_missing_from_a_file_is_an_error() -> None:
    declared = Column(
        "amount", Kind.INTEGER, nullable=False, declared=True, schema={"type": "integer"}
    )
    converter = BatchConverter([Column("id", Kind.INTEGER), declared], Nulls([""]), Encoding.JSON)
    positions = converter.positions(["id"])
    with pytest.raises(ProtocolError) as error:
        converter.convert(batch(["1"]), SOURCE, positions)
    assert error.value.where == "a.csv line 2, column 'amount'"


def test_json_values_of_the_replication_key_are_also_available_as_python_values() -> None:
    converter = BatchConverter([Column("n", Kind.NUMBER)], Nulls([""]), Encoding.JSON)
    converter.convert(batch(["1.50"], [""]), SOURCE, [0])
    assert [str(v) if v is not None else None for v in converter.python_values(0)] == ["1.50", None]
