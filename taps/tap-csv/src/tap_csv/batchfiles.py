"""csv BATCH files: where they go, and writing each one so it is complete before it is named.

The setting has singer-sdk's ``batch_config`` shape::

    "batch_config": {
      "encoding": {"format": "csv", "compression": "none"},
      "storage": {"root": "file:///var/elt/batches", "prefix": "nightly-"},
      "batch_size": 100000
    }

``format: csv`` is this tap's fast path (the encoding is defined in
:mod:`tap_csv.csvfields`); other formats go through singer-sdk's own batcher. ``root`` is a
local folder (a ``file://`` URL or a path), created if missing: remote storage is not
written by this tap. ``batch_size`` (singer-sdk's key) is the number of rows per file; a
file also ends before a SCHEMA message that widens a column and before a STATE message, so
that a BATCH message always precedes the SCHEMA and STATE messages that follow its rows.

A file is written as ``<name>.tmp``, flushed to disk (``fsync``) and renamed, and the folder
is flushed too: no BATCH message names a file that a crash could leave half-written. A file
the tap did not finish (it failed) is removed. Finished files belong to the target, which
loads them and, if told to, deletes them once they are committed: only it knows when.
"""

from __future__ import annotations

import gzip
import os
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from io import BufferedIOBase, BufferedWriter
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from elt.errors import ConfigError, ServiceError
from tap_csv.csvfields import header_line

__all__ = ["DEFAULT_BATCH_SIZE", "BatchFiles", "CsvBatchSettings", "csv_batch_settings"]

DEFAULT_BATCH_SIZE: Final = 100_000
COMPRESSIONS: Final = ("none", "gzip")
# gzip level 1: most of the size saving at a fraction of the default level's CPU
_GZIP_LEVEL: Final = 1
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_.-]")
_WHERE: Final = "batch_config"


@dataclass(frozen=True, slots=True)
class CsvBatchSettings:
    """Where csv BATCH files go, how they are compressed, and how many rows each holds."""

    folder: Path
    prefix: str
    compression: str
    batch_size: int

    @property
    def encoding(self) -> dict[str, str]:
        """The ``encoding`` object of the BATCH messages."""
        return {"format": "csv", "compression": self.compression}


def csv_batch_settings(config: Mapping[str, Any]) -> CsvBatchSettings | None:
    """The csv batch settings, or None when ``batch_config`` is unset or asks for another format."""
    raw = config.get("batch_config")
    if not raw:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError("expected an object", where=_WHERE)
    encoding = raw.get("encoding") or {}
    if not isinstance(encoding, Mapping) or encoding.get("format") != "csv":
        return None
    compression = encoding.get("compression") or "none"
    if compression not in COMPRESSIONS:
        raise ConfigError(
            f"compression {compression!r} is not one of {', '.join(COMPRESSIONS)}",
            where=f"{_WHERE}.encoding.compression",
        )
    storage = raw.get("storage")
    if not isinstance(storage, Mapping):
        storage = {}
    root = storage.get("root")
    if not isinstance(root, str) or not root:
        raise ConfigError(
            "csv BATCH files need a folder",
            where=f"{_WHERE}.storage.root",
            hint='Set it to a local folder, for example "file:///var/elt/batches"',
        )
    prefix = storage.get("prefix") or ""
    if not isinstance(prefix, str) or any(c in prefix for c in "/\\\x00"):
        raise ConfigError(
            f"prefix {prefix!r} must be text without '/', '\\' or NUL: it starts file names",
            where=f"{_WHERE}.storage.prefix",
        )
    size = raw.get("batch_size", DEFAULT_BATCH_SIZE)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigError(
            f"expected a positive integer, got {size!r}", where=f"{_WHERE}.batch_size"
        )
    return CsvBatchSettings(_local_folder(root), prefix, compression, size)


def _local_folder(root: str) -> Path:
    parts = urlsplit(root)
    if parts.scheme == "file" and parts.netloc in ("", "localhost"):
        folder = Path(unquote(parts.path))
    elif not parts.scheme:
        folder = Path(root)
    else:
        raise ConfigError(
            f"{root!r} is not a local folder; tap-csv writes csv BATCH files to local storage only",
            where=f"{_WHERE}.storage.root",
            hint="Use a file:// URL or a path (target-postgres reads local files only too)",
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create folder {folder}: {exc.strerror}", where=f"{_WHERE}.storage.root"
        ) from exc
    return folder.resolve()


class BatchFiles:
    """The csv BATCH files of one stream's sync, written one at a time."""

    def __init__(
        self, settings: CsvBatchSettings, *, tap: str, stream: str, header: Sequence[str]
    ) -> None:
        self.settings = settings
        self._stem = f"{settings.prefix}{tap}--{_UNSAFE.sub('_', stream)[:80]}-{uuid.uuid4().hex}"
        self._header = (header_line(header) + "\n").encode("utf-8")
        self._suffix = ".csv.gz" if settings.compression == "gzip" else ".csv"
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
            _fsync_folder(final.parent)
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
            where=f"{_WHERE}.storage.root",
            hint="Check that the folder is writable and has free space; the file was not "
            "announced, so nothing downstream reads it",
        ) from exc


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
