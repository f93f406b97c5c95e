"""Converting a batch of rows into typed columns, and deciding what a misfit means.

A SCHEMA message goes out before the records it describes, but a type guessed from a
sample can be wrong further down a file. Rather than read every file twice, the converter
keeps each column's current kind and, when a batch holds a value that does not fit it:

- an **inferred** column is *widened* to the nearest kind every value of the batch fits
  (integer → number → string; boolean, date, date-time → string), and becomes nullable if
  it was not. The stream then sends a new SCHEMA before the batch, so every record conforms
  to the latest SCHEMA and no value is coerced, truncated or dropped. Records sent earlier
  conform to the new schema too, as far as targets go: a wider type accepts every value of
  the narrower one (targets alter the column; an integer column turned text keeps ``5`` as
  ``'5'``).
- a **declared** column (the config's ``schema``) is a promise the user made, so a value
  that breaks it is an error naming the file, line, column and value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from elt.errors import ProtocolError
from tap_csv.columns import Kind, Nulls, convert, misfits, widen
from tap_csv.files import SourceFile
from tap_csv.inference import METADATA_COLUMNS, SOURCE_FILE, SOURCE_FILE_MTIME, Column
from tap_csv.rows import RowBatch

__all__ = ["BatchConverter", "Widening"]

_MISSING: Final = -1
_ARTICLE: Final = {
    Kind.INTEGER: "an integer",
    Kind.NUMBER: "a number",
    Kind.BOOLEAN: "a boolean (true or false)",
    Kind.DATE: "a date (YYYY-MM-DD)",
    Kind.DATE_TIME: "a date-time (YYYY-MM-DDTHH:MM:SS with an optional offset)",
    Kind.STRING: "a string",
}


@dataclass(frozen=True, slots=True)
class Widening:
    """A column whose kind changed in a batch, and the first value that made it change."""

    before: Column
    after: Column
    index: int
    """Position in the batch of the first row that did not fit ``before``."""


class BatchConverter:
    """Typed value columns for the output columns of a stream, one batch at a time."""

    def __init__(self, columns: Sequence[Column], nulls: Nulls, *, wire: bool) -> None:
        self.columns = list(columns)
        self.nulls = nulls
        self.wire = wire
        self._texts: list[tuple[str, ...]] = []
        self._positions: Sequence[int] = ()
        self._values: list[Sequence[Any]] = []

    def positions(self, header: Sequence[str]) -> list[int]:
        """Where each output column is in a file's ``header`` (-1: not in this file)."""
        index = {name: position for position, name in enumerate(header)}
        return [index.get(column.name, _MISSING) for column in self.columns]

    def convert(
        self, batch: RowBatch, source: SourceFile, positions: Sequence[int]
    ) -> tuple[list[Sequence[Any]], list[Widening]]:
        """One sequence of values per output column, and the columns that had to widen."""
        texts_by_position = list(zip(*batch.rows, strict=True))
        count = len(batch.rows)
        out: list[Sequence[Any]] = []
        widenings: list[Widening] = []
        for i, column in enumerate(self.columns):
            position = positions[i]
            texts: Sequence[str] | None = None
            if position != _MISSING:
                texts = texts_by_position[position]
                values = convert(column.kind, texts, self.nulls, wire=self.wire)
            elif column.name in METADATA_COLUMNS:
                out.append(_metadata(column.name, source, batch, count))
                continue
            else:
                values = [None] * count
            if values is None or (not column.nullable and None in values):
                widening = self._widen(column, texts, values, batch, source)
                self.columns[i] = widening.after
                widenings.append(widening)
                if texts is not None:
                    values = convert(widening.after.kind, texts, self.nulls, wire=self.wire)
            assert values is not None, "a widened kind fits every value"
            out.append(values)
        self._texts, self._positions, self._values = texts_by_position, positions, out
        return out, widenings

    def python_values(self, index: int) -> Sequence[Any]:
        """Output column ``index`` of the last batch as Python values, even on the wire path."""
        values = self._values[index]
        position = self._positions[index]
        if not self.wire or position == _MISSING:
            return values
        python = convert(self.columns[index].kind, self._texts[position], self.nulls, wire=False)
        assert python is not None, "the batch was converted with this kind"
        return python

    def _widen(
        self,
        column: Column,
        texts: Sequence[str] | None,
        values: Sequence[Any] | None,
        batch: RowBatch,
        source: SourceFile,
    ) -> Widening:
        if values is None:
            assert texts is not None, "only values read from the file can misfit"
            index = next(misfits(column.kind, texts, self.nulls))
            if column.declared:
                raise ProtocolError(
                    f"{texts[index]!r} is not {_ARTICLE[column.kind]}, "
                    "as the declared schema requires",
                    where=f"{source.path} line {batch.line_of(index)}, column {column.name!r}",
                    hint="Fix the value, or declare the column with a type that holds it "
                    '(for example {"type": ["string", "null"]})',
                )
            kind = widen(column.kind, texts, self.nulls)
        else:
            index = list(values).index(None)
            if column.declared:
                raise ProtocolError(
                    "the value is missing or null, but the declared schema does not allow null",
                    where=f"{source.path} line {batch.line_of(index)}, column {column.name!r}",
                    hint='Add "null" to the declared type, as in {"type": ["integer", "null"]}',
                )
            kind = column.kind
        return Widening(column, column.widened(kind), index)


def _metadata(name: str, source: SourceFile, batch: RowBatch, count: int) -> Sequence[Any]:
    """The values of a metadata column for a batch."""
    if name == SOURCE_FILE:
        return [source.path] * count
    if name == SOURCE_FILE_MTIME:
        return [source.modified_at] * count
    return batch.row_numbers
