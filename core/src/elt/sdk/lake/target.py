"""``LakeTarget``: the singer-sdk target every lake target (files, S3, GCS, Azure) subclasses.

A :class:`~elt.sdk.lean.LeanTarget`: singer-sdk's executable in front of one
:class:`~elt.sdk.lake.writer.LakeWriter` that gets every message (inline ``stream_maps`` and
flattening applied in front of it when configured). singer-sdk targets' built-in settings
that do not apply (``validate_records``, ``batch_size_rows``, …) are refused, naming what
to use instead, or — where they cannot change the data — accepted with one warning
(:attr:`LakeTarget.setting_rules`).

A subclass provides three things::

    class TargetS3(LakeTarget):
        name = "target-s3"
        store_settings = {"bucket": {"type": "string", "required": True, ...},
                          "secret_access_key": {"type": ["string", "null"],
                                                "secret": True, "writeOnly": True, ...}}

        def open_store(self) -> ObjectStore:
            return S3Store(self.config)

``store_settings`` are JSON-Schema properties merged with :data:`LAKE_SETTINGS` into
``config_jsonschema`` (a property with ``"required": True`` becomes required). Secrets are
never logged and never reach a manifest: only ``ObjectStore.describe`` output is shown.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import IO, Any, ClassVar

from singer_sdk.helpers.capabilities import CapabilitiesEnum

from elt.errors import ProtocolError
from elt.protocol import RECORD, csvbatch
from elt.sdk.batch import batch_records
from elt.sdk.io import OrjsonReader
from elt.sdk.lake.badinput import location, record_before_schema
from elt.sdk.lake.layout import Layout
from elt.sdk.lake.settings import LakeSettings, config_schema
from elt.sdk.lake.store import ObjectStore
from elt.sdk.lake.tables import TableCommit
from elt.sdk.lake.units import finish_units
from elt.sdk.lake.writer import LakeWriter
from elt.sdk.lean import LEAN_TARGET_CAPABILITIES, LeanTarget
from elt.sdk.settings import SettingRule, refused, warned

__all__ = ["LakeTarget"]

logger = logging.getLogger(__name__)


class LakeTarget(LeanTarget):
    """Loads Singer streams into files in an object store; subclasses bring the store."""

    name = "target-lake"
    aborted_note = "open files were aborted"
    store_settings: ClassVar[dict[str, Any]] = {}
    #: singer-sdk targets' built-in settings, which a lake target does not take
    setting_rules: ClassVar[Mapping[str, SettingRule]] = {
        "validate_records": refused(
            "records are not validated against their SCHEMA: csv and parquet refuse a value "
            "that does not fit its column (exit 65), jsonl keeps records as received"
        ),
        "add_record_metadata": refused(
            "no _sdc_ columns are added; each run's manifest records its files, rows, schemas "
            "and times"
        ),
        "batch_size_rows": refused(
            "use max_rows (rows per file) and commit_interval_seconds (how long a STATE "
            "waits for its files)"
        ),
        "load_method": refused(
            "lake targets only append: each run writes new files, listed in its manifest"
        ),
        "hard_delete": refused("lake files are append-only; deleted rows stay as records"),
        "default_target_schema": refused("use prefix to choose the folder"),
        "process_activate_version_messages": warned(
            "ACTIVATE_VERSION is only recorded in the run's manifest; no file is deleted for it"
        ),
        "batch_config": warned(
            "it shapes the BATCH files a tap writes; lake targets read any jsonl BATCH file"
        ),
    }
    config_jsonschema: ClassVar[dict[str, Any]] = config_schema({})
    capabilities: ClassVar[list[CapabilitiesEnum]] = [*LEAN_TARGET_CAPABILITIES]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.config_jsonschema = config_schema(cls.store_settings)

    def __init__(self, **kwargs: Any) -> None:
        """singer-sdk's ``Target(config=…, parse_env_config=…, validate_config=…)``."""
        super().__init__(**kwargs)
        self.lake_settings = LakeSettings.from_config(self.config)
        Layout(self.lake_settings.path_template, self.lake_settings.prefix)  # fail early

    def open_store(self) -> ObjectStore:
        """The store this target writes to, built from ``self.config`` (subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement open_store()")

    def open_table(self, store: ObjectStore) -> TableCommit | None:
        """The table the run's files are committed to besides the manifest; none by
        default. A target keeping an Iceberg or Delta table returns it here
        (:mod:`elt.sdk.lake.tables` says what its commit must guarantee)."""
        return None

    def open_load(self, reader: OrjsonReader) -> LakeWriter:
        """The run's writer on the store, which is opened and checked now."""
        store = self.open_store()
        store.check()
        writer = LakeWriter(
            store,
            self.lake_settings,
            reader=reader,
            emit_state=self._write_state,
            raw_records=self.maps is None,  # maps need every record as a dict
            unit=self.unit,
            table=self.open_table(store),
        )
        logger.info(
            "Run %s: %s files (%s) to %s",
            writer.run_id,
            self.lake_settings.format,
            self.lake_settings.compression,
            store.describe(self.lake_settings.prefix),
        )
        return writer

    def process_lines(self, file_input: IO[str] | None = None) -> Any:  # type: ignore[misc]
        """Read every message; the count singer-sdk logs at the end includes the RECORD
        lines the writer took unparsed (the reader hands them over without counting)."""
        counter = super().process_lines(file_input)
        if isinstance(self._load, LakeWriter):
            counter[RECORD] += self._load.raw_lines
        return counter

    def process_endofpipe(self) -> None:
        """Commit everything and emit the last STATE; the coordinator's finishing run of a
        split run writes its run manifest even when it sent no message."""
        if self._load is None and finish_units(self.unit) is not None:
            _ = self.load
        super().process_endofpipe()

    def _record_before_schema(self, message_dict: dict[str, Any]) -> None:
        raise record_before_schema(self._where(message_dict.get("stream")))

    def _where(self, stream: object) -> str:
        """The input line being processed, and its stream (for errors found here)."""
        reader = self.message_reader
        if not isinstance(reader, OrjsonReader):
            return f"stream {stream!r}"
        return location(reader.messages.name, reader.messages.line_number, str(stream))

    def process_batch(self, message_dict: dict[str, Any]) -> None:
        kind = (message_dict.get("encoding") or {}).get("format")
        if kind != "jsonl":
            hint = "lake targets read BATCH files of format jsonl, gzip or uncompressed"
            if kind == csvbatch.FORMAT:
                hint += (
                    f"; elt's csv BATCH files are for targets listing {csvbatch.CSV_BATCH} "
                    "(target-postgres): set the tap's batch_config to format jsonl, or drop it"
                )
            raise ProtocolError(
                f"the BATCH has format {kind!r}",
                where=self._where(message_dict["stream"]),
                hint=hint,
            )
        _ = self.load  # opened first, so the record callback below is the writer's
        on_record = self.on_record  # through the stream maps, if any
        for message in batch_records(message_dict):
            on_record(message)
