"""BATCH messages: records in local files instead of RECORD lines, for our targets.

A BATCH message names files instead of carrying records. singer-sdk's ``jsonl`` format has
one record of the message's stream per line; :func:`batch_records` reads the lines through
elt's :class:`~elt.protocol.MessageReader` (wrapped as RECORD messages), so numbers keep
every digit and a bad line is reported with its file and line number. Other formats (elt's
``csv`` for ``COPY``) are the target's own business: it gets the files from
:func:`batch_files` and opens them with :func:`open_batch_file`.

Files may be gzip-compressed. Only ``file://`` URLs and plain paths are read: a remote
object store is the tap's business to download.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator, Mapping
from io import BufferedReader
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import unquote, urlsplit

from elt.errors import ProtocolError
from elt.protocol import MessageReader, record_line_prefix

__all__ = ["batch_compression", "batch_files", "batch_records", "open_batch_file"]


def batch_files(message: Mapping[str, Any]) -> list[Path]:
    """The local files a BATCH message names, in manifest order; each must exist."""
    stream = message["stream"]
    return [_local_path(url, stream) for url in message["manifest"]]


def batch_compression(message: Mapping[str, Any]) -> str | None:
    """The message's compression, checked: None (or ``none``) or ``gzip``."""
    compression = message["encoding"].get("compression")
    if compression not in (None, "none", "gzip"):
        raise ProtocolError(
            f"BATCH for stream {message['stream']!r} uses compression {compression!r}",
            hint="BATCH files are read uncompressed or gzip-compressed",
        )
    return cast("str | None", compression)


def batch_records(message: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The RECORD messages of a jsonl BATCH message's files, in manifest order."""
    stream = message["stream"]
    compression = batch_compression(message)
    prefix = record_line_prefix(stream)
    for path in batch_files(message):
        with open_batch_file(path, compression) as lines:
            messages = cast("IO[bytes]", _AsMessages(lines, prefix))  # read1 is all it uses
            yield from MessageReader(messages, name=str(path))


class _AsMessages:
    """A binary stream of RECORD message lines made from a file of bare records.

    Blank lines are kept (as blank lines), so the reader's line numbers are the file's.
    """

    def __init__(self, lines: Iterable[bytes], prefix: bytes) -> None:
        self._lines = lines
        self._prefix = prefix

    def read1(self, size: int = -1) -> bytes:
        out = bytearray()
        for line in self._lines:
            body = line.rstrip(b"\r\n")
            out += self._prefix + body + b"}\n" if body.strip() else b"\n"
            if len(out) >= size > 0:
                break
        return bytes(out)


def _local_path(url: str, stream: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme not in ("", "file") or parts.netloc not in ("", "localhost"):
        raise ProtocolError(
            f"BATCH for stream {stream!r} names {url!r}, which is not a local file",
            hint="BATCH manifests must name local files (file:// URLs or paths)",
        )
    path = Path(unquote(parts.path) if parts.scheme else url)
    if not path.is_file():
        raise ProtocolError(
            f"BATCH file {path} for stream {stream!r} does not exist",
            hint="the tap must leave its BATCH files in place until the target has read them",
        )
    return path


def open_batch_file(path: Path, compression: str | None) -> gzip.GzipFile | BufferedReader:
    """``path`` for reading bytes, decompressed."""
    if compression == "gzip":
        return gzip.open(path, "rb")
    return path.open("rb")
