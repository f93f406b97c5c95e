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
from elt.protocol.csvbatch import NULL_FIELD, quote
from tap_csv.columns import Encoding, Kind, Nulls, convert, misfits, widen
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

    def __init__(self, columns: Sequence[Column], nulls: Nulls, encoding: Encoding) -> None:
        self.columns = list(columns)
        self.nulls = nulls
        self.encoding = encoding
        # what a null converts to: None, or the empty field in CSV
        self._null: str | None = NULL_FIELD if encoding is Encoding.CSV else None
        self._texts: list[tuple[str, ...]] = []
        self._positions: Sequence[int] = ()
        self._values: list[Sequence[Any]] = []
        self._last: tuple[RowBatch, SourceFile] | None = None

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
                values = convert(column.kind, texts, self.nulls, self.encoding)
            elif column.name in METADATA_COLUMNS:
                out.append(_metadata(column.name, source, batch, self.encoding))
                continue
            else:
                values = [self._null] * count
            if values is None or (not column.nullable and self._null in values):
                widening = self._widen(column, texts, values, batch, source)
                self.columns[i] = widening.after
                widenings.append(widening)
                if texts is not None:
                    values = convert(widening.after.kind, texts, self.nulls, self.encoding)
            assert values is not None, "a widened kind fits every value"
            out.append(values)
        self._texts, self._positions, self._values = texts_by_position, positions, out
        self._last = batch, source
        return out, widenings

    def python_values(self, index: int) -> Sequence[Any]:
        """Output column ``index`` of the last batch as Python values, whatever the encoding."""
        values = self._values[index]
        position = self._positions[index]
        if self.encoding is Encoding.PYTHON:
            return values
        column = self.columns[index]
        if position == _MISSING:
            if column.name in METADATA_COLUMNS and self._last is not None:
                return _metadata(column.name, self._last[1], self._last[0], Encoding.PYTHON)
            return [None] * len(values)
        kind = column.kind
        python = convert(kind, self._texts[position], self.nulls, Encoding.PYTHON)
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
            index = list(values).index(self._null)
            if column.declared:
                raise ProtocolError(
                    "the value is missing or null, but the declared schema does not allow null",
                    where=f"{source.path} line {batch.line_of(index)}, column {column.name!r}",
                    hint='Add "null" to the declared type, as in {"type": ["integer", "null"]}',
                )
            kind = column.kind
        return Widening(column, column.widened(kind), index)


def _metadata(name: str, source: SourceFile, batch: RowBatch, encoding: Encoding) -> Sequence[Any]:
    """The values of a metadata column for a batch."""
    count = len(batch.rows)
    csv = encoding is Encoding.CSV
    if name == SOURCE_FILE:
        return [quote(source.path) if csv else source.path] * count
    if name == SOURCE_FILE_MTIME:
        return [source.modified_at] * count
    return list(map(str, batch.row_numbers)) if csv else batch.row_numbers
