"""csv BATCH files: their header, their bytes for COPY, and the line a COPY error means.

The format is elt's extension of singer-sdk's BATCH message, defined in
:mod:`elt.protocol.csvbatch`: RFC 4180 CSV in UTF-8 with a header of property names, NULL
as an unquoted empty field, ``""`` as the empty string, numbers, booleans and date-times as
the text Postgres parses. That is what ``COPY … (FORMAT csv, HEADER true)`` reads, so a file
goes to Postgres in large blocks of its own bytes and Python never looks at a row: loading
costs what ``psql \\copy`` costs.

Only the header is parsed here, to name the COPY's columns (a property the header leaves
out is NULL). Values are checked by Postgres while it parses them; its error names the
line where the bad record *ends*, which :func:`record_start` turns into the line where it
starts, the way every other elt error names a line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import psycopg

from elt.errors import EltError, ProtocolError
from elt.sdk.batch import open_batch_file
from target_postgres.failures import batch_file_failure
from target_postgres.identifiers import quote
from target_postgres.rows import Source
from target_postgres.stream import Stream

__all__ = [
    "BLOCK_BYTES",
    "COPY_OPTIONS",
    "BatchFile",
    "copy_file",
    "file_blocks",
    "read_header",
    "record_start",
]

COPY_OPTIONS: Final = "(FORMAT csv, HEADER true)"
BLOCK_BYTES: Final = 1 << 20
_HEADER_HINT: Final = (
    "a csv BATCH file starts with a header row naming properties of the stream's SCHEMA"
)


@dataclass(frozen=True, slots=True)
class BatchFile:
    """A csv BATCH file, the columns its header names and the properties they hold."""

    path: Path
    compression: str | None
    columns: list[str]
    properties: list[str]

    @classmethod
    def open(cls, stream: Stream, path: Path, compression: str | None) -> BatchFile:
        """Read the header and map it to ``stream``'s columns.

        Names map exactly as for RECORD messages (the stream's fields were made by
        :func:`target_postgres.stream.layout`), so both paths fill the same columns.
        """
        header = read_header(path, compression)
        by_property = {f.name: f.column for f in stream.fields if f.source is Source.RECORD}
        unknown = [name for name in header if name not in by_property]
        if unknown:
            raise ProtocolError(
                "the header names a property the stream's SCHEMA does not declare",
                where=f"{path} line 1, stream {stream.name!r}, property {unknown[0]!r}",
                hint="the SCHEMA message before a BATCH must declare every column of its files",
            )
        columns = [by_property[name] for name in header]
        missing = [f.name for f in stream.fields if f.key and f.column not in columns]
        if missing:
            raise ProtocolError(
                "the header lacks this key property",
                where=f"{path} line 1, stream {stream.name!r}, property {missing[0]!r}",
                hint="every row must have a value for each key property",
            )
        return cls(path, compression, columns, header)

    def failure(self, exc: psycopg.Error, stream: str, relation: str) -> EltError:
        """The error to report for a COPY of this file into ``relation`` that failed."""
        return batch_file_failure(
            exc,
            stream=stream,
            relation=relation,
            columns=self.columns,
            properties=self.properties,
            path=str(self.path),
            record_start=lambda line: record_start(self.path, self.compression, line),
        )


def copy_file(cur: psycopg.Cursor[Any], target: str, file: BatchFile) -> int:
    """Send a file's bytes to ``COPY target (columns)``; return the number of rows copied."""
    listed = ", ".join(quote(column) for column in file.columns)
    with cur.copy(f"COPY {target} ({listed}) FROM STDIN {COPY_OPTIONS}") as copy:
        for block in file_blocks(file.path, file.compression):
            copy.write(block)
    return max(cur.rowcount, 0)


def read_header(path: Path, compression: str | None) -> list[str]:
    """The property names in the file's first record."""
    where = f"{path} line 1"
    try:
        with open_batch_file(path, compression) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            header = next(csv.reader(text, strict=True), None)
    except (UnicodeDecodeError, csv.Error, OSError, EOFError) as exc:
        raise ProtocolError(
            f"cannot read the header of csv BATCH file: {exc}", where=where, hint=_HEADER_HINT
        ) from None
    if not header or not all(header):
        raise ProtocolError(
            "the csv BATCH file has no header row, or a column without a name",
            where=where,
            hint=_HEADER_HINT,
        )
    if len(set(header)) != len(header):
        twice = next(name for name in header if header.count(name) > 1)
        raise ProtocolError(f"the header names {twice!r} twice", where=where, hint=_HEADER_HINT)
    return header


def file_blocks(path: Path, compression: str | None) -> Iterator[bytes]:
    """The file's bytes (decompressed) in blocks of :data:`BLOCK_BYTES`."""
    try:
        with open_batch_file(path, compression) as raw:
            while block := raw.read(BLOCK_BYTES):
                yield block
    except (OSError, EOFError) as exc:
        raise ProtocolError(
            f"cannot read csv BATCH file: {exc}",
            where=str(path),
            hint="the tap must leave complete BATCH files in place until the target has "
            "committed them",
        ) from None


def record_start(path: Path, compression: str | None, end_line: int) -> int:
    """The line where the record that ends on physical line ``end_line`` starts.

    Postgres counts lines as it reads, so for a record whose quoted field holds line breaks
    it names the last one. Reading the file again with the ``csv`` module, which counts the
    same way, finds the first; if the file cannot be read that far, ``end_line`` it is.
    """
    try:
        with open_batch_file(path, compression) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            reader = csv.reader(text)
            previous_end = 0
            for _ in reader:
                if reader.line_num >= end_line:
                    return previous_end + 1
                previous_end = reader.line_num
    except (UnicodeDecodeError, csv.Error, OSError, EOFError):
        pass
    return end_line
