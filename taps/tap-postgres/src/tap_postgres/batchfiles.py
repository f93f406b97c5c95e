"""csv BATCH files written by ``COPY (SELECT …) TO STDOUT``, one durable file per chunk.

The contract and the settings are :mod:`elt.protocol.csvbatch`'s. Postgres's own csv output is
exactly that format, so the bytes go from the server to the file without Python looking at
a row, and target-postgres hands the file to ``COPY … FROM STDIN`` as it is. A file is
written as ``<name>.tmp``, fsynced and renamed (and the folder fsynced); a failed COPY
removes its temporary file.
"""

from __future__ import annotations

import gzip
import os
from io import BufferedIOBase
from pathlib import Path
from typing import Any, Final

import psycopg
from psycopg import sql

from elt.errors import ServiceError
from elt.protocol.csvbatch import SETTING
from elt.sdk.durable import fsync_directory

__all__ = ["copy_to_file"]

_GZIP_LEVEL: Final = 1


def copy_to_file(
    cur: psycopg.Cursor[Any], query: sql.Composed, params: list[str], path: Path, compression: str
) -> int:
    """Run a ``COPY … TO STDOUT`` into ``path``, complete and durable when this returns;
    the number of rows it holds (the server's count: no row is looked at here)."""
    temp = path.with_name(path.name + ".tmp")
    try:
        with open(temp, "xb") as raw:
            out: BufferedIOBase = raw
            if compression == "gzip":
                out = gzip.GzipFile("", "wb", _GZIP_LEVEL, raw, mtime=0)
            with cur.copy(query, params) as copy:
                for block in copy:
                    out.write(block)
            if out is not raw:
                out.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.rename(temp, path)
        fsync_directory(path.parent)
        return cur.rowcount
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise ServiceError(
            f"cannot write csv BATCH file {path}: {exc.strerror or exc}",
            where=f"{SETTING}.storage.root",
            hint="check that the folder is writable and has free space",
        ) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
