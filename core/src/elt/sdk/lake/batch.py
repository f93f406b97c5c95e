"""BATCH messages of singer-sdk's ``jsonl`` encoding: records in local files, not RECORD lines.

Each file line is one record of the message's stream. Lines are read through elt's
:class:`~elt.protocol.MessageReader` (wrapped as RECORD messages), so numbers keep every
digit and a bad line is reported with its file and line number. Only ``file://`` URLs and
plain paths are read; gzip or uncompressed.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import unquote, urlsplit

from elt.errors import ProtocolError
from elt.protocol import MessageReader, dumps

__all__ = ["batch_records"]


def batch_records(message: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The RECORD messages of a jsonl BATCH message's files, in manifest order."""
    stream = message["stream"]
    encoding = message.get("encoding") or {}
    if encoding.get("format") != "jsonl" or encoding.get("compression") not in (
        None,
        "none",
        "gzip",
    ):
        raise ProtocolError(
            f"BATCH for stream {stream!r} has encoding {dict(encoding)!r}",
            hint="lake targets read BATCH files of format jsonl, gzip or uncompressed",
        )
    prefix = b'{"type":"RECORD","stream":' + dumps(stream) + b',"record":'
    for url in message["manifest"]:
        path = _local_path(url, stream)
        with _open(path, encoding.get("compression")) as lines:
            wrapped = cast("IO[bytes]", _AsMessages(lines, prefix))  # read1 is all it uses
            yield from MessageReader(wrapped, name=str(path))


def _open(path: Path, compression: str | None) -> IO[bytes]:
    if compression == "gzip":
        return cast("IO[bytes]", gzip.open(path, "rb"))
    return path.open("rb")


class _AsMessages:
    """A binary stream of RECORD lines made from a file of bare records (blank lines kept,
    so the reader's line numbers are the file's)."""

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
            hint="lake targets read file:// BATCH manifests only",
        )
    path = Path(unquote(parts.path) if parts.scheme else url)
    if not path.is_file():
        raise ProtocolError(
            f"BATCH file {path} for stream {stream!r} does not exist",
            hint="the tap must leave its BATCH files in place until the target has read them",
        )
    return path
