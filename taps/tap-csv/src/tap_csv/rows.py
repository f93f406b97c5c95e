"""Reading one CSV file as a header and batches of rows, in constant memory.

Rows come from :class:`tap_csv.rowreader.RowReader` (Python's ``csv`` module, sped up
where ``str.split`` is exact) over a text file opened with ``newline=""``, which is what
keeps quoted fields with embedded line breaks, delimiters and doubled quotes, CRLF line
endings and non-ASCII text exactly as written. Rows are handed on in batches (a list
of a few thousand rows) because the columns of a batch are converted together; memory is
bounded by the batch, never by the file.

Errors name the file and the physical line where the offending row starts. The ``csv``
module only counts lines read so far, so the line of a row inside a batch is worked out
from the line breaks held in the fields of the rows before it, and only when an error needs
it. Blank lines are skipped, as ``csv.DictReader`` does; a row with more or fewer fields than
the header is an error, because a silently shifted or truncated row is lost data.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, Final

from elt.errors import ProtocolError
from tap_csv.files import SourceFile, open_text
from tap_csv.rowreader import RowReader
from tap_csv.settings import EntitySettings

__all__ = ["MAX_FIELD_CHARS", "CsvFile", "RowBatch"]

# A field longer than this is an error rather than a reason to hold the rest of the file in
# memory (the csv module buffers 4 bytes a character): it almost always means a quote that
# is never closed.
MAX_FIELD_CHARS: Final = 16 * 1024 * 1024


@dataclass(slots=True)
class RowBatch:
    """Consecutive data rows of one file, all as wide as the header."""

    rows: list[list[str]]
    row_numbers: Sequence[int]
    """Each row's number in the file, the header row being 0 (``_sdc_source_lineno``)."""
    first_line: int
    multiline: bool
    lines: list[int] | None = field(default=None)

    def line_of(self, index: int) -> int:
        """The physical line (1-based) where ``rows[index]`` starts."""
        if self.lines is not None:
            return self.lines[index]
        if not self.multiline:
            return self.first_line + index
        breaks = sum(_breaks(value) for row in self.rows[:index] for value in row)
        return self.first_line + index + breaks


def _breaks(value: str) -> int:
    """Line breaks inside a field, counted as the file iterator splits lines."""
    if "\n" not in value and "\r" not in value:
        return 0
    return value.count("\n") + value.count("\r") - value.count("\r\n")


class CsvFile:
    """An open CSV file: its ``header`` (column names) and its rows in batches."""

    def __init__(self, source: SourceFile, settings: EntitySettings) -> None:
        csv.field_size_limit(MAX_FIELD_CHARS)
        self.source = source
        self.settings = settings
        self._text: IO[str] = open_text(source.path, settings.encoding)
        self._reader = RowReader(self._text, source.path, settings)
        self._row_number = 0
        try:
            self.header: tuple[str, ...] | None = self._read_header()
        except BaseException:
            self._text.close()
            raise

    def __enter__(self) -> CsvFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._text.close()

    def _read_header(self) -> tuple[str, ...] | None:
        """The column names, or None for an empty file without declared ``fieldnames``."""
        settings = self.settings
        if not settings.has_header:
            return settings.fieldnames
        rows = self._read(1)
        while rows and not rows[0]:  # blank lines before the header
            rows = self._read(1)
        if not rows:
            return settings.fieldnames
        first = rows[0]
        if settings.fieldnames is not None:
            return settings.fieldnames
        _check_header(first, f"{self.source.path} line {self._reader.line_num}")
        return tuple(first)

    def _read(self, count: int) -> list[list[str]]:
        rows = self._reader.read(count)
        self._row_number += len(rows)
        return rows

    def batches(self, size: int) -> Iterator[RowBatch]:
        """The data rows in batches of up to ``size``, checked against the header width."""
        if self.header is None:
            return
        width = len(self.header)
        while True:
            first_line = self._reader.line_num + 1
            first_row = self._row_number if self.settings.has_header else self._row_number + 1
            rows = self._read(size)
            if not rows:
                return
            multiline = self._reader.line_num - first_line + 1 != len(rows)
            batch = RowBatch(rows, range(first_row, first_row + len(rows)), first_line, multiline)
            if len(rows[0]) != width or len(set(map(len, rows))) != 1:
                batch = self._drop_blank_rows(batch, width)
                if not batch.rows:
                    continue
            yield batch

    def _drop_blank_rows(self, batch: RowBatch, width: int) -> RowBatch:
        """The batch without blank lines; an error for a row of the wrong width."""
        rows: list[list[str]] = []
        numbers: list[int] = []
        lines: list[int] = []
        for index, row in enumerate(batch.rows):
            if not row:
                continue
            if len(row) != width:
                line = batch.line_of(index)
                raise ProtocolError(
                    f"row has {len(row)} field{'s' * (len(row) != 1)} but the header has {width}",
                    where=f"{self.source.path} line {line}",
                    hint=_width_hint(len(row) > width, self.settings),
                )
            rows.append(row)
            numbers.append(batch.row_numbers[index])
            lines.append(batch.line_of(index))
        return RowBatch(rows, numbers, batch.first_line, batch.multiline, lines)


def _width_hint(more: bool, settings: EntitySettings) -> str:
    delimiter = settings.dialect.delimiter
    if more:
        return (
            f"A field that contains the delimiter {delimiter!r} must be quoted with "
            f"{settings.dialect.quotechar!r}; check `delimiter` for this entity ({settings.where})"
        )
    return (
        "A line break inside an unquoted field splits a row in two; quote such fields, "
        f"or check `delimiter` for this entity ({settings.where})"
    )


def _check_header(names: list[str], where: str) -> None:
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name:
            raise ProtocolError(
                f"column {position} of the header has no name",
                where=where,
                hint="Name every column in the file, or declare `fieldnames` "
                "with `has_header: true` to replace the header",
            )
        if name in seen:
            raise ProtocolError(
                f"column name {name!r} appears twice in the header",
                where=where,
                hint="Rename one of them in the file, or declare `fieldnames` "
                "with `has_header: true` to replace the header",
            )
        seen.add(name)
