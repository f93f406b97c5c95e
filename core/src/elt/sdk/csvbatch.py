"""The taps' side of :mod:`elt.protocol.csvbatch`: the capability, the setting, the stream.

The contract — the capability's name, the message, the files' format, the ``batch_config``
shape — is :mod:`elt.protocol.csvbatch`'s. What needs singer-sdk lives here: the capability
as singer-sdk lists it, the setting's JSON Schema for ``--about``, the settings read with
their folder created, and :class:`CsvBatchStream`, which writes the files in place of
singer-sdk's batcher when ``format: csv`` is asked for (other formats go through singer-sdk's
own). A tap writes each file as ``<name>.tmp``, fsyncs and renames it (and fsyncs the
folder) before a BATCH message names it, so no message names a file a crash could leave
half-written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from singer_sdk import Stream
from singer_sdk import typing as th
from singer_sdk.helpers._batch import BaseBatchFileEncoding, BatchConfig, SDKBatchMessage
from singer_sdk.helpers.capabilities import CapabilitiesEnum

from elt.errors import ConfigError
from elt.protocol import csvbatch as contract
from elt.protocol.csvbatch import COMPRESSIONS, DEFAULT_BATCH_SIZE, CsvBatchSettings
from elt.sdk.io import OrjsonWriter

__all__ = [
    "CSV_BATCH",
    "CsvBatchStream",
    "EltCapabilities",
    "batch_config_property",
    "csv_batch_settings",
]


class EltCapabilities(CapabilitiesEnum):
    """Capabilities of elt's plugins beyond singer-sdk's, listed by ``--about``."""

    #: writes (a tap) or COPYs as they are (a target) the files of elt.protocol.csvbatch;
    #: ``elt run`` uses them between two plugins that both list it (elt.run.fastpath)
    CSV_BATCH = contract.CSV_BATCH


CSV_BATCH: Final = EltCapabilities.CSV_BATCH


class CsvBatchStream(Stream):
    """A stream that writes these csv files when ``batch_config`` asks for ``format: csv``
    (singer-sdk's own batcher otherwise); a subclass writes them in :meth:`sync_csv_batches`
    and names each finished one with :meth:`announce`."""

    def _sync_batches(self, batch_config: BatchConfig, context: Any = None) -> None:
        settings = csv_batch_settings(self.config, self._tap.name)
        if settings is None:
            super()._sync_batches(batch_config, context=context)
        else:
            self.sync_csv_batches(settings)

    def sync_csv_batches(self, settings: CsvBatchSettings) -> None:
        """Write the stream's rows to csv files, announcing each finished one."""
        raise NotImplementedError(f"{type(self).__name__} must implement sync_csv_batches()")

    def announce(self, url: str | None, settings: CsvBatchSettings) -> None:
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
        contract.SETTING,
        th.ObjectType(
            th.Property(
                "encoding",
                th.ObjectType(
                    th.Property(
                        "format",
                        th.StringType,
                        allowed_values=[contract.FORMAT, "jsonl"],
                        description=f"{contract.FORMAT}: {csv} jsonl: singer-sdk's JSON-lines "
                        "files.",
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
    """The csv batch settings (:func:`elt.protocol.csvbatch.parse_batch_config`), their
    folder created if missing; None when ``batch_config`` does not ask for csv files."""
    settings = contract.parse_batch_config(config, tap)
    if settings is None:
        return None
    try:
        settings.folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create folder {settings.folder}: {exc.strerror}",
            where=f"{contract.SETTING}.storage.root",
        ) from exc
    return settings
