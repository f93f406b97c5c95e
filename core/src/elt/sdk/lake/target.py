"""``LakeTarget``: the singer-sdk target every lake target (files, S3, GCS, Azure) subclasses.

singer-sdk gives the executable its standard shape (``--config``, ``--about``, ``--input``,
env-var config, the standard target tests). Its per-record sink path (a copy, jsonschema
validation and type conformance per record) is several times slower than writing the file,
so, as target-postgres does, the message callbacks are overridden and every message goes
to a :class:`~elt.sdk.lake.writer.LakeWriter`. Inline ``stream_maps`` and flattening are
singer-sdk's own, applied in front of the writer by :class:`~elt.sdk.maps.StreamMaps` when
the config asks for them; the record callback is chosen once, so a run without maps goes
straight to the writer. ``validate_records`` is not offered.

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
import signal
from collections.abc import Callable, Mapping
from pathlib import PurePath
from types import FrameType
from typing import IO, Any, ClassVar

from singer_sdk.exceptions import RecordsWithoutSchemaException
from singer_sdk.helpers.capabilities import CapabilitiesEnum, PluginCapabilities

from elt.errors import Interrupted
from elt.protocol import dumps
from elt.sdk.io import OrjsonReader, StdoutSink
from elt.sdk.lake.batch import batch_records
from elt.sdk.lake.layout import Layout
from elt.sdk.lake.settings import LakeSettings, config_schema
from elt.sdk.lake.store import ObjectStore
from elt.sdk.lake.writer import LakeWriter
from elt.sdk.maps import StreamMaps, add_map_settings, maps_configured
from elt.sdk.plugins import Target

__all__ = ["LakeTarget"]

logger = logging.getLogger(__name__)


class LakeTarget(Target):
    """Loads Singer streams into files in an object store; subclasses bring the store."""

    name = "target-lake"
    store_settings: ClassVar[dict[str, Any]] = {}
    config_jsonschema: ClassVar[dict[str, Any]] = config_schema({})
    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        PluginCapabilities.ABOUT,
        PluginCapabilities.STRUCTURED_LOGGING,
        PluginCapabilities.ACTIVATE_VERSION,
        PluginCapabilities.BATCH,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
    ]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.config_jsonschema = config_schema(cls.store_settings)

    def __init__(
        self,
        *,
        config: dict[str, Any] | PurePath | str | list[PurePath | str] | None = None,
        parse_env_config: bool = False,
        validate_config: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            config=config,
            parse_env_config=parse_env_config,
            validate_config=validate_config,
            **kwargs,
        )
        self.lake_settings = LakeSettings.from_config(self.config)
        Layout(self.lake_settings.path_template, self.lake_settings.prefix)  # fail early
        self._writer: LakeWriter | None = None
        self._on_record: Callable[[dict[str, Any]], None] = self._record_before_schema
        self._maps = StreamMaps(self.mapper) if maps_configured(self.config) else None
        self._stdout = StdoutSink()

    def open_store(self) -> ObjectStore:
        """The store this target writes to, built from ``self.config`` (subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement open_store()")

    @classmethod
    def append_builtin_config(cls, config_jsonschema: dict[str, Any]) -> None:
        """Add only the stream map and flattening settings: the SDK's other built-ins need
        its sinks, and the lean path honours exactly the settings ``--about`` lists."""
        add_map_settings(config_jsonschema)

    @property
    def writer(self) -> LakeWriter:
        """The run's writer; the store is opened and checked on first use, so ``--about``
        and an empty input need no bucket."""
        if self._writer is None:
            reader = self.message_reader
            if not isinstance(reader, OrjsonReader):
                raise TypeError("LakeTarget needs its OrjsonReader to name lines")
            store = self.open_store()
            store.check()
            self._writer = writer = LakeWriter(
                store,
                self.lake_settings,
                reader=reader,
                emit_state=self._write_state,
                raw_records=self._maps is None,  # maps need every record as a dict
            )
            self._on_record = (
                writer.record if self._maps is None else self._maps.records_to(writer.record)
            )
            logger.info(
                "Run %s: %s files (%s) to %s",
                self._writer.run_id,
                self.lake_settings.format,
                self.lake_settings.compression,
                store.describe(self.lake_settings.prefix),
            )
        return self._writer

    # --- the message loop ----------------------------------------------------------------

    def process_lines(self, file_input: IO[str] | None = None) -> Any:  # type: ignore[misc]
        """Read every message; any error aborts the open uploads before it propagates.

        singer-sdk marks this final for type checkers only; it is the one place that sees
        errors of the reader (a malformed line) as well as of the writer, and both must
        abort the uploads (an open S3 multipart upload would otherwise linger).
        """
        try:
            return super().process_lines(file_input)
        except BaseException:
            self._abort()
            raise

    def process_endofpipe(self) -> None:
        """Commit every file, write the manifest, emit the last STATE."""
        writer, self._writer = self._writer, None
        self._on_record = self._record_before_schema
        if writer is None:
            return
        try:
            writer.finish()
        except BaseException:
            writer.abort()
            raise

    def _process_schema_message(self, message_dict: dict[str, Any]) -> None:
        writer = self.writer
        if self._maps is None:
            writer.schema(message_dict)
            return
        for schema in self._maps.schema(message_dict):
            writer.schema(schema)

    def _process_record_message(self, message_dict: dict[str, Any]) -> None:
        self._on_record(message_dict)

    def _record_before_schema(self, message_dict: dict[str, Any]) -> None:
        raise RecordsWithoutSchemaException(
            f"a RECORD for stream {message_dict.get('stream')!r} arrived before its SCHEMA "
            "message (the tap must send a stream's SCHEMA before its records)"
        )

    def _process_state_message(self, message_dict: dict[str, Any]) -> None:
        if self._writer is None:
            # Nothing was received before it, so nothing needs committing first.
            self._write_state(message_dict["value"])
        else:
            self._writer.state(message_dict["value"])

    def _process_activate_version_message(self, message_dict: dict[str, Any]) -> None:
        writer = self.writer
        if self._maps is None:
            writer.activate_version(message_dict)
            return
        for message in self._maps.activate_version(message_dict):
            writer.activate_version(message)

    def _process_batch_message(self, message_dict: dict[str, Any]) -> None:
        _ = self.writer  # opened first, so the record callback below is the writer's
        on_record = self._on_record  # through the stream maps, if any
        for message in batch_records(message_dict):
            on_record(message)

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """Stop at once on SIGINT/SIGTERM, exiting 128 + the signal number.

        singer-sdk would exit 0 here, which a scheduler reads as success. The exception
        unwinds through :meth:`process_lines`, which aborts the open uploads; their STATEs
        are never written, so a rerun continues from the last one that was.
        """
        raise Interrupted(
            f"stopped by {signal.Signals(signum).name}; open files were aborted",
            signal_number=signum,
            hint="rerun to continue from the last STATE written",
        )

    def _abort(self) -> None:
        writer, self._writer = self._writer, None
        self._on_record = self._record_before_schema
        if writer is not None:
            writer.abort()

    def _write_state(self, state: Mapping[str, Any]) -> None:
        self._stdout.write(dumps(state) + b"\n")
        self._stdout.flush()
        logger.debug("Emitted STATE after commit")
