"""csv BATCH: files of rows that Postgres loads with ``COPY`` as they are.

A documented elt extension of singer-sdk's BATCH message, next to its standard ``jsonl``
and ``parquet`` formats, which a third-party tap or target can implement. This module is
its one definition: the taps that write it (tap-csv, tap-postgres, through
:mod:`elt.sdk.csvbatch`), the target that COPYs it (target-postgres) and ``elt run``
(:mod:`elt.run.fastpath`) all take the names below from here.

**The capability** :data:`CSV_BATCH` (``elt-csv-batch``) in ``--about``: a tap listing it
writes these files when its ``batch_config`` asks for ``format: csv``; a target listing it
COPYs them as they are. ``elt run`` hands the tap a ``batch_config`` of its own
(:func:`batch_config`) when both ends list it and nothing between them needs RECORDs.
Lake targets do not list it: they read BATCH files of format ``jsonl`` only.

**The message**::

    {"type": "BATCH", "stream": "orders",
     "encoding": {"format": "csv", "compression": "none"},
     "manifest": ["file:///var/elt/batches/tap-csv--orders-1f0c...-00001.csv"]}

``compression`` is one of :data:`COMPRESSIONS` (the whole file). A file named in a
manifest is complete: it was written under a temporary name (``<name>.tmp``), flushed to
disk and renamed, and its folder flushed, before the message naming it was sent.

**The files.** Every file of the manifest holds rows of the stream, in order, as RFC 4180
CSV:

- UTF-8 without a byte-order mark; fields separated by ``,``; each record ends with LF
  (``\\n``); a quoted field may hold any character, line breaks included.
- The first record is a header: names of properties of the stream's latest SCHEMA message
  (the one sent before the BATCH message). A property the header leaves out is NULL.
- NULL is an empty field that is **not** quoted (:data:`NULL_FIELD`). ``""`` (a quoted
  empty field) is the empty string.
- A field is quoted with ``"`` when it is the empty string, holds ``,``, ``"``, CR or LF,
  or holds ``\\.`` (Postgres's end-of-data mark on a line of its own); a ``"`` inside is
  written twice (:func:`quote`). Any other field may be quoted too: readers must accept
  both.
- ``integer`` and ``number``: the JSON number text, every digit kept (``-12``, ``1.50``,
  ``6.02E-23``, ``123456789012345678901234567890``).
- ``boolean``: ``true`` or ``false``.
- ``string``: the text; ``date`` and ``date-time`` formats as ISO 8601 text
  (``2026-03-01``, ``2026-03-01T10:00:00Z``, ``2026-03-01 10:00:00+02:00``).
- ``object`` and ``array``: their JSON text.

That is what ``COPY table (columns) FROM STDIN (FORMAT csv, HEADER true)`` loads into typed
columns with no work per row outside Postgres: its NULL is the unquoted empty field, a
quoted field is never NULL, and number, boolean and date-time columns parse these texts.

**The setting** has singer-sdk's ``batch_config`` shape (:class:`CsvBatchSettings`,
:func:`parse_batch_config`)::

    "batch_config": {
      "encoding": {"format": "csv", "compression": "none"},
      "storage": {"root": "file:///var/elt/batches", "prefix": "nightly-"},
      "batch_size": 100000
    }

``root`` is a local folder (a ``file://`` URL or a path); ``prefix`` starts every file name;
``batch_size`` is the number of rows per file (:data:`DEFAULT_BATCH_SIZE`). Another
``format`` is not this contract (singer-sdk's own batcher writes it).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from elt.errors import ConfigError

__all__ = [
    "COMPRESSIONS",
    "CSV_BATCH",
    "DEFAULT_BATCH_SIZE",
    "FORMAT",
    "NULL_FIELD",
    "SETTING",
    "CsvBatchSettings",
    "batch_config",
    "parse_batch_config",
    "quote",
]

CSV_BATCH: Final = "elt-csv-batch"
"""The capability a plugin lists in ``--about`` when it writes (a tap) or COPYs as they are
(a target) these files."""
FORMAT: Final = "csv"
"""The ``encoding.format`` of the BATCH messages and of the ``batch_config`` setting."""
COMPRESSIONS: Final = ("none", "gzip")
SETTING: Final = "batch_config"
DEFAULT_BATCH_SIZE: Final = 100_000
NULL_FIELD: Final = ""
"""A NULL: the empty field, unquoted."""

_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_.-]")


def quote(text: str) -> str:
    """``text`` as a quoted field (never NULL; ``""`` for the empty string)."""
    return '"' + text.replace('"', '""') + '"'


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
        return {"format": FORMAT, "compression": self.compression}

    @property
    def suffix(self) -> str:
        return ".csv.gz" if self.compression == "gzip" else ".csv"

    def stem(self, tap: str, stream: str) -> str:
        """A fresh, safe file-name stem for a batch of ``stream`` (``prefix`` first)."""
        return f"{self.prefix}{tap}--{_UNSAFE.sub('_', stream)[:80]}-{uuid.uuid4().hex}"

    def new_path(self, tap: str, stream: str) -> Path:
        """A fresh file in the folder for one batch of ``stream``."""
        return self.folder / (self.stem(tap, stream) + self.suffix)


def batch_config(root: Path | str, compression: str = "none") -> dict[str, Any]:
    """The ``batch_config`` value that asks a tap for csv files in ``root``."""
    return {
        "encoding": {"format": FORMAT, "compression": compression},
        "storage": {"root": str(root)},
    }


def parse_batch_config(config: Mapping[str, Any], plugin: str) -> CsvBatchSettings | None:
    """The csv batch settings of a plugin's ``config``, or None when ``batch_config`` is
    unset or asks for another format; a ConfigError naming the key when they are wrong.

    The folder is resolved, not created (the tap does that: :mod:`elt.sdk.csvbatch`).
    """
    raw = config.get(SETTING)
    if not raw:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError("expected an object", where=SETTING)
    encoding = raw.get("encoding") or {}
    if not isinstance(encoding, Mapping) or encoding.get("format") != FORMAT:
        return None
    compression = encoding.get("compression") or "none"
    if compression not in COMPRESSIONS:
        raise ConfigError(
            f"compression {compression!r} is not one of {', '.join(COMPRESSIONS)}",
            where=f"{SETTING}.encoding.compression",
        )
    storage = raw.get("storage")
    if not isinstance(storage, Mapping):
        storage = {}
    root = storage.get("root")
    if not isinstance(root, str) or not root:
        raise ConfigError(
            "csv BATCH files need a folder",
            where=f"{SETTING}.storage.root",
            hint='Set it to a local folder, for example "file:///var/elt/batches"',
        )
    prefix = storage.get("prefix") or ""
    if not isinstance(prefix, str) or any(c in prefix for c in "/\\\x00"):
        raise ConfigError(
            f"prefix {prefix!r} must be text without '/', '\\' or NUL: it starts file names",
            where=f"{SETTING}.storage.prefix",
        )
    size = raw.get("batch_size", DEFAULT_BATCH_SIZE)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigError(
            f"expected a positive integer, got {size!r}", where=f"{SETTING}.batch_size"
        )
    return CsvBatchSettings(_local_folder(root, plugin), prefix, compression, size)


def _local_folder(root: str, plugin: str) -> Path:
    parts = urlsplit(root)
    if parts.scheme == "file" and parts.netloc in ("", "localhost"):
        folder = Path(unquote(parts.path))
    elif not parts.scheme:
        folder = Path(root)
    else:
        raise ConfigError(
            f"{root!r} is not a local folder; {plugin} writes csv BATCH files to local "
            "storage only",
            where=f"{SETTING}.storage.root",
            hint="Use a file:// URL or a path (target-postgres reads local files only too)",
        )
    return folder.resolve()
