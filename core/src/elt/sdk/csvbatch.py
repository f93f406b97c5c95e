"""elt's csv BATCH contract, shared by the taps that write it (tap-csv, tap-postgres).

The setting has singer-sdk's ``batch_config`` shape::

    "batch_config": {
      "encoding": {"format": "csv", "compression": "none"},
      "storage": {"root": "file:///var/elt/batches", "prefix": "nightly-"},
      "batch_size": 100000
    }

``format: csv`` is the fast path between our taps and target-postgres: RFC 4180 files with
a header of property names, NULL as an unquoted empty field and ``""`` as the empty string,
which the target hands to ``COPY … FROM STDIN`` as they are. Other formats go through
singer-sdk's own batcher. ``root`` is a local folder (a ``file://`` URL or a path), created
if missing; ``batch_size`` is the number of rows per file. A tap writes each file as
``<name>.tmp``, fsyncs and renames it (and fsyncs the folder) before a BATCH message names
it, so no message names a file a crash could leave half-written.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from singer_sdk import Stream
from singer_sdk import typing as th
from singer_sdk.helpers._batch import BaseBatchFileEncoding, BatchConfig, SDKBatchMessage
from singer_sdk.helpers.capabilities import CapabilitiesEnum

from elt.errors import ConfigError
from elt.sdk.io import OrjsonWriter

__all__ = [
    "CSV_BATCH",
    "DEFAULT_BATCH_SIZE",
    "CsvBatchSettings",
    "CsvBatchStream",
    "EltCapabilities",
    "batch_config_property",
    "csv_batch_settings",
]


class EltCapabilities(CapabilitiesEnum):
    """Capabilities of elt's plugins beyond singer-sdk's, listed by ``--about``."""

    #: writes (a tap) or COPYs as they are (a target) the csv BATCH files described here;
    #: ``elt run`` uses them between two plugins that both list it (elt.run.fastpath)
    CSV_BATCH = "elt-csv-batch"


CSV_BATCH: Final = EltCapabilities.CSV_BATCH

DEFAULT_BATCH_SIZE: Final = 100_000
COMPRESSIONS: Final = ("none", "gzip")
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

    @property
    def suffix(self) -> str:
        return ".csv.gz" if self.compression == "gzip" else ".csv"

    def stem(self, tap: str, stream: str) -> str:
        """A fresh, safe file-name stem for a batch of ``stream`` (``prefix`` first)."""
        return f"{self.prefix}{tap}--{_UNSAFE.sub('_', stream)[:80]}-{uuid.uuid4().hex}"

    def new_path(self, tap: str, stream: str) -> Path:
        """A fresh file in the folder for one batch of ``stream``."""
        return self.folder / (self.stem(tap, stream) + self.suffix)


class CsvBatchStream(Stream):
    """A stream that writes these csv files when ``batch_config`` asks for ``format: csv``
    (singer-sdk's own batcher otherwise); a subclass writes them in ``_sync_csv_batches``
    and names each finished one with :meth:`_announce`."""

    def _sync_batches(self, batch_config: BatchConfig, context: Any = None) -> None:
        settings = csv_batch_settings(self.config, self._tap.name)
        if settings is None:
            super()._sync_batches(batch_config, context=context)
        else:
            self._sync_csv_batches(settings)

    def _sync_csv_batches(self, settings: CsvBatchSettings) -> None:
        raise NotImplementedError

    def _announce(self, url: str | None, settings: CsvBatchSettings) -> None:
        """Send the BATCH message naming a finished file (nothing for None).

        The message is flushed at once: the target loads this file while the next one is
        written, instead of finding every BATCH message in the buffer at the end.
        """
        if url is None:
            return
        encoding = BaseBatchFileEncoding(**settings.encoding)
        message = SDKBatchMessage(
            stream=self.name, encoding=encoding, manifest=[url], version=self._stream_version
        )
        self._tap.write_message(message)
        writer = self._tap.message_writer
        if isinstance(writer, OrjsonWriter):
            writer.flush()


def batch_config_property(csv: str, batch_size: str) -> th.Property[Any]:
    """singer-sdk's ``batch_config`` setting with the csv format; the texts say what a csv
    file holds and what one batch is, for this tap."""
    return th.Property(
        "batch_config",
        th.ObjectType(
            th.Property(
                "encoding",
                th.ObjectType(
                    th.Property(
                        "format",
                        th.StringType,
                        allowed_values=["csv", "jsonl"],
                        description=f"csv: {csv} jsonl: singer-sdk's JSON-lines files.",
                    ),
                    th.Property(
                        "compression",
                        th.StringType,
                        allowed_values=list(COMPRESSIONS),
                        description="Compression of csv files. Default none (fastest).",
                    ),
                ),
            ),
            th.Property(
                "storage",
                th.ObjectType(
                    th.Property(
                        "root",
                        th.StringType,
                        description="Local folder for the files: a file:// URL or a path.",
                    ),
                    th.Property("prefix", th.StringType, description="Start of every file name."),
                ),
            ),
            th.Property(
                "batch_size",
                th.IntegerType,
                description=f"{batch_size} Default {DEFAULT_BATCH_SIZE}.",
            ),
        ),
        description="Send BATCH messages naming files of rows instead of RECORD messages.",
    )


def csv_batch_settings(config: Mapping[str, Any], tap: str) -> CsvBatchSettings | None:
    """The csv batch settings, or None when ``batch_config`` is unset or asks for another
    format; a ConfigError naming the key when they are wrong."""
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
    return CsvBatchSettings(_local_folder(root, tap), prefix, compression, size)


def _local_folder(root: str, tap: str) -> Path:
    parts = urlsplit(root)
    if parts.scheme == "file" and parts.netloc in ("", "localhost"):
        folder = Path(unquote(parts.path))
    elif not parts.scheme:
        folder = Path(root)
    else:
        raise ConfigError(
            f"{root!r} is not a local folder; {tap} writes csv BATCH files to local storage only",
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
