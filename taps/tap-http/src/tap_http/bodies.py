"""Reading one response body within a limit on its decompressed size, in flat memory.

requests reads a whole body into memory, decompressing as it goes: a 408 KB gzip body of
zeros becomes 400 MiB, and a tap holding it and its copies reached 914 MB. Here the body is
read a MiB at a time (urllib3 decompresses no more than it is asked for), counted against
``max_response_bytes``, and kept in memory up to :data:`SPILL` bytes, past that in an
unnamed temporary file. A body over the limit stops the read at the limit, so memory stays
flat whatever the body expands to; only what a page legitimately holds is ever parsed.

A body kept in a file becomes the response's ``raw`` stream, so ``response.content`` still
works (reading the file back, for a JSON page that must be parsed whole anyway), and
:func:`spooled` gives JSON Lines readers the file to parse line by line.
"""

from __future__ import annotations

import tempfile
from typing import IO, Final
from weakref import WeakKeyDictionary

import requests

__all__ = ["CHUNK", "SPILL", "TooLarge", "read_body", "spooled"]

# Bytes asked for per read: few Python round trips, and bounded decompression per step.
CHUNK: Final = 1 << 20

# Bytes of one body kept in memory; the rest of a larger body goes to a temporary file.
SPILL: Final = 16 << 20

_SPOOLS: WeakKeyDictionary[requests.Response, IO[bytes]] = WeakKeyDictionary()


class TooLarge(Exception):
    """The body is larger than the limit once decompressed; reading stopped there."""


def read_body(response: requests.Response, limit: int, *, truncate: bool = False) -> None:
    """Read ``response``'s body (decompressed) so that ``response.content`` holds it.

    Past ``limit`` bytes: :class:`TooLarge`, or with ``truncate`` the first ``limit`` bytes
    (for error bodies, which are only quoted). Network errors propagate as requests raises
    them.
    """
    chunks: list[bytes] = []
    size = 0
    spool: IO[bytes] | None = None
    for chunk in response.iter_content(CHUNK):
        size += len(chunk)
        if size > limit:
            response.close()
            if not truncate:
                raise TooLarge(f"more than {limit} bytes")
            chunks.append(chunk[: len(chunk) - (size - limit)])
            break
        if spool is not None:
            spool.write(chunk)
            continue
        chunks.append(chunk)
        if size > SPILL:
            spool = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the response
            spool.writelines(chunks)
            chunks.clear()
    if spool is None:
        response._content = b"".join(chunks)
        return
    spool.seek(0)
    response.raw = spool
    response._content = False
    response._content_consumed = False
    _SPOOLS[response] = spool


def spooled(response: requests.Response) -> IO[bytes] | None:
    """The temporary file holding ``response``'s body, rewound, if it was too large for
    memory; None when ``response.content`` holds it."""
    spool = _SPOOLS.get(response)
    if spool is not None:
        spool.seek(0)
    return spool
