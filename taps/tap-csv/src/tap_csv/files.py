"""Finding the files an entity's ``path`` names, and opening them as text.

``path`` may be a file, a folder (every ``.csv``, ``.tsv``, ``.csv.gz`` and ``.tsv.gz``
below it, recursively) or a glob (``data/**/*.csv``). Files are read in sorted path order
so runs are repeatable. A name ending in ``.gz`` is decompressed while it is read.

Text is decoded as the file is read, never all at once. ``utf-8`` is read as
``utf-8-sig`` so a byte-order mark (written by Excel and many Windows tools) does not end up
glued to the first column name. When bytes do not decode, :func:`decode_error` reads the
file again to find the line, column and bytes, because the error raised by the text layer
only knows an offset into whichever chunk it was decoding.
"""

from __future__ import annotations

import codecs
import glob
import gzip
import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Final

from elt.errors import ConfigError, ProtocolError

__all__ = ["SourceFile", "decode_error", "find_files", "open_text"]

FOLDER_SUFFIXES: Final = (".csv", ".tsv", ".csv.gz", ".tsv.gz")
_GLOB_CHARS: Final = frozenset("*?[")
_READ_CHUNK: Final = 1 << 16


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file to read, as it was when found: ``mtime_ns`` and ``size`` feed the bookmark."""

    path: str
    mtime_ns: int
    size: int

    @property
    def modified_at(self) -> str:
        """The modification time as an ISO 8601 UTC timestamp (``_sdc_source_file_mtime``)."""
        return datetime.fromtimestamp(self.mtime_ns / 1e9, UTC).isoformat()


def find_files(pattern: str, *, where: str) -> list[SourceFile]:
    """The files ``pattern`` names, sorted by path; an error when there are none."""
    if _GLOB_CHARS & set(pattern):
        paths = [path for path in glob.glob(pattern, recursive=True) if os.path.isfile(path)]
    elif os.path.isdir(pattern):
        paths = [
            os.path.join(folder, name)
            for folder, _, names in os.walk(pattern)
            for name in names
            if name.lower().endswith(FOLDER_SUFFIXES)
        ]
    else:
        paths = [pattern] if os.path.isfile(pattern) else []
    if not paths:
        raise ConfigError(
            f"{pattern!r} matches no file",
            where=where,
            hint=_no_match_hint(pattern),
        )
    return [_stat(path) for path in sorted(paths)]


def _no_match_hint(pattern: str) -> str:
    if os.path.isdir(pattern):
        return f"The folder holds no {', '.join(FOLDER_SUFFIXES)} file; use a glob for other names"
    return f"Relative paths are resolved from the working directory, {Path.cwd()}"


def _stat(path: str) -> SourceFile:
    info = os.stat(path)
    return SourceFile(path=path, mtime_ns=info.st_mtime_ns, size=info.st_size)


def open_text(path: str, encoding: str) -> IO[str]:
    """``path`` as text for ``csv.reader`` (``newline=""``), decompressing ``.gz``."""
    codec = _reading_codec(encoding)
    if path.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding=codec, newline="")
    return open(path, encoding=codec, newline="")


def _open_binary(path: str) -> io.BufferedIOBase:
    if path.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _reading_codec(encoding: str) -> str:
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def decode_error(path: str, encoding: str, entity_where: str) -> ProtocolError:
    """The error to report for bytes in ``path`` that are not valid ``encoding``.

    Reads the file again in chunks with an incremental decoder, counting line breaks, until
    the decoder fails; the error names the line, the column (in bytes) and the bad bytes.
    """
    decoder = codecs.getincrementaldecoder(_reading_codec(encoding))()
    line, line_start, offset = 1, 0, 0
    with _open_binary(path) as raw:
        while True:
            chunk = raw.read(_READ_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                # exc.object is the decoder's pending bytes followed by this chunk.
                bad = offset - (len(exc.object) - len(chunk)) + exc.start
                head = chunk[: max(0, bad - offset)]
                if b"\n" in head:
                    line += head.count(b"\n")
                    line_start = offset + head.rfind(b"\n") + 1
                return ProtocolError(
                    f"bytes {exc.object[exc.start : exc.end]!r} at column {bad - line_start + 1} "
                    f"are not valid {encoding}",
                    where=f"{path} line {line}",
                    hint=f"Set `encoding` for this entity ({entity_where}) to the file's "
                    "encoding, for example latin-1 or cp1252",
                )
            if not chunk:
                return ProtocolError(f"the file is not valid {encoding}", where=path)
            if b"\n" in chunk:
                line += chunk.count(b"\n")
                line_start = offset + chunk.rfind(b"\n") + 1
            offset += len(chunk)
