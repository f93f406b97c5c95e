"""tap-csv's csv BATCH files, written a batch of rows at a time (the contract and the
settings are :mod:`elt.protocol.csvbatch`'s).

A file ends after ``batch_size`` rows, and also before a SCHEMA message that widens a
column and before a STATE message, so that a BATCH message always precedes the SCHEMA and
STATE messages that follow its rows. A file the tap did not finish (it failed) is removed.
Finished files belong to the target, which loads them and, if told to, deletes them once
they are committed: only it knows when.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from io import BufferedIOBase, BufferedWriter
from pathlib import Path
from typing import Final

from elt.errors import ServiceError
from elt.protocol.csvbatch import SETTING, CsvBatchSettings
from elt.sdk.durable import fsync_directory
from tap_csv.csvfields import header_line

__all__ = ["BatchFiles"]

# gzip level 1: most of the size saving at a fraction of the default level's CPU
_GZIP_LEVEL: Final = 1


class BatchFiles:
    """The csv BATCH files of one stream's sync, written one at a time."""

    def __init__(
        self, settings: CsvBatchSettings, *, tap: str, stream: str, header: Sequence[str]
    ) -> None:
        self.settings = settings
        self._stem = settings.stem(tap, stream)
        self._header = (header_line(header) + "\n").encode("utf-8")
        self._suffix = settings.suffix
        self._number = 0
        self._open: _OpenFile | None = None

    def write(self, lines: Sequence[str]) -> list[str]:
        """Append rows (CSV records without line ends); return the URLs of files that filled."""
        done: list[str] = []
        size = self.settings.batch_size
        start = 0
        while start < len(lines):
            file = self._open or self._start()
            part = lines[start : start + size - file.rows]
            with _writing(file.temp):
                file.out.write(("\n".join(part) + "\n").encode("utf-8"))
            file.rows += len(part)
            start += len(part)
            if file.rows >= size:
                done.append(self._complete(file))
        return done

    def finish(self) -> str | None:
        """Make the open file complete and durable; its URL, or None when no file is open."""
        return None if self._open is None else self._complete(self._open)

    def discard(self) -> None:
        """Remove the file being written, if any (the sync failed)."""
        file, self._open = self._open, None
        if file is not None:
            file.raw.close()
            file.temp.unlink(missing_ok=True)

    def _start(self) -> _OpenFile:
        self._number += 1
        temp = self.settings.folder / f"{self._stem}-{self._number:05d}{self._suffix}.tmp"
        with _writing(temp):
            raw = open(temp, "xb")  # noqa: SIM115 - closed by _complete or discard
        out: BufferedIOBase = raw
        if self.settings.compression == "gzip":
            out = gzip.GzipFile("", "wb", _GZIP_LEVEL, raw, mtime=0)
        self._open = file = _OpenFile(temp, raw, out)
        with _writing(temp):
            out.write(self._header)
        return file

    def _complete(self, file: _OpenFile) -> str:
        final = file.temp.with_name(file.temp.name.removesuffix(".tmp"))

        with _writing(file.temp):
            if file.out is not file.raw:
                file.out.close()  # writes the gzip trailer; the raw file stays open
            file.raw.flush()
            os.fsync(file.raw.fileno())
            file.raw.close()
            os.rename(file.temp, final)
            fsync_directory(final.parent)
        self._open = None
        return final.as_uri()


@dataclass(slots=True)
class _OpenFile:
    temp: Path
    raw: BufferedWriter
    out: BufferedIOBase
    rows: int = 0


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """An OS error in the block becomes a ServiceError naming the file."""
    try:
        yield
    except OSError as exc:
        raise ServiceError(
            f"cannot write csv BATCH file {path}: {exc.strerror or exc}",
            where=f"{SETTING}.storage.root",
            hint="Check that the folder is writable and has free space; the file was not "
            "announced, so nothing downstream reads it",
        ) from exc
