"""An encoder's file: the :class:`Encoder` contract every lake format meets, and the
:class:`Output` its bytes go through on their way to the store's :class:`Upload`.

A format either leaves compression to the output, for the whole file (JSONL, CSV: gzip
through the standard library's zlib, streaming; zstd as one frame per buffer through
pyarrow's codec — concatenated frames are one valid zstd file, which zstd, pyarrow and
every conforming reader decode), or compresses inside the file itself (Parquet's pages),
and its output passes the bytes on as they are (:mod:`elt.sdk.lake.formats` says which).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any, Final, Protocol

from elt.sdk.lake.store import Upload
from elt.sdk.lake.worker import Worker

__all__ = ["DEFAULT_LEVELS", "FILE_CODECS", "Encoder", "Output", "Where"]

#: the whole-file codecs :class:`Output` implements, and what each adds to the extension
FILE_CODECS: Final = {"gzip": ".gz", "zstd": ".zst", "none": ""}
#: the level of a codec when ``compression_level`` is unset (the codec's usual default)
DEFAULT_LEVELS: Final = {"gzip": 6, "zstd": 3}

# (input line, property path) -> "where" text of an error
Where = Callable[[int, str], str]


class Output:
    """The bytes of one file on their way to its :class:`Upload`, compressed and counted.

    Also the file object pyarrow's Parquet and CSV writers write to (``write``, ``flush``,
    ``close``, ``closed``); closing it does not commit — :meth:`finish` ends the stream.
    Compression and the upload's writes run on a :class:`~elt.sdk.lake.worker.Worker`
    thread; :attr:`size` counts compressed bytes sent plus raw bytes still queued, so
    rotation by ``max_bytes`` errs on the small side.
    """

    closed = False

    def __init__(self, upload: Upload, compression: str, level: int | None) -> None:
        """``compression``: one of :data:`FILE_CODECS`, for the whole file."""
        self.upload = upload
        self._compress: Callable[[bytes], bytes] | None = None
        self._tail: Callable[[], bytes] | None = None
        if compression == "gzip":
            gzip = zlib.compressobj(level or DEFAULT_LEVELS["gzip"], zlib.DEFLATED, 31)
            self._compress, self._tail = gzip.compress, gzip.flush
        elif compression == "zstd":
            import pyarrow as pa

            codec = pa.Codec("zstd", compression_level=level or DEFAULT_LEVELS["zstd"])
            self._compress = lambda data: codec.compress(data, asbytes=True)
        elif compression != "none":
            raise ValueError(f"no whole-file codec {compression!r}; one of {list(FILE_CODECS)}")
        self._sent = 0  # compressed bytes written to the upload (by the worker only)
        self._queued = 0  # raw bytes submitted (by the writer only)
        self._taken = 0  # raw bytes the worker is done with (by the worker only)
        self._worker = Worker("lake-upload")

    @property
    def size(self) -> int:
        return self._sent + self._queued - self._taken

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self.closed:  # aborted: pyarrow may still flush its buffers when collected
            return len(data)
        chunk = bytes(data)
        self._queued += len(chunk)
        self._worker.submit(lambda: self._send(chunk))
        return len(chunk)

    def flush(self) -> None:
        """Nothing to do: the upload sends parts as they fill."""

    def close(self) -> None:
        """pyarrow closes its file at the end of a Parquet file; :meth:`finish` follows."""

    def abort(self) -> None:
        """Stop sending and abort the upload; later writes are dropped."""
        self.closed = True
        self._worker.cancel()
        self.upload.abort()

    def finish(self) -> None:
        """Send everything and the compressor's tail; the upload is then ready to commit."""
        self._worker.close()
        if self._tail is not None:
            self._write(self._tail())

    def _send(self, chunk: bytes) -> None:
        try:
            self._write(self._compress(chunk) if self._compress is not None else chunk)
        finally:
            self._taken += len(chunk)

    def _write(self, data: bytes) -> None:
        if data:
            self.upload.write(data)
            self._sent += len(data)


class Encoder(Protocol):
    """Turns the records of one file into bytes on an :class:`Output`."""

    output: Output

    def add(self, record: dict[str, Any], line: int) -> bool:
        """Take one record (``line``: its input line, for errors found later); True when
        that filled the buffer and it was handed on (the output's size then grew)."""
        ...

    def add_raw(self, line: bytes, number: int) -> bool:
        """Take one whole RECORD line in elt's spelling, unparsed (only when the format's
        :attr:`~elt.sdk.lake.formats.FormatSpec.raw_lines` said so); as :meth:`add`."""
        ...

    def finish(self) -> None:
        """Encode what is buffered and end the file (footer, compressor tail)."""
        ...

    def abort(self) -> None:
        """Stop encoding; nothing more reaches the output (which is aborted next)."""
        ...
