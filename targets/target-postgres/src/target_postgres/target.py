"""``target-postgres``: singer-sdk's CLI and config handling, elt's lean load path.

singer-sdk gives the executable its standard shape (``--config``, ``--about``, ``--input``,
env-var config, the standard target tests). Its per-record path — copying each record,
validating it with jsonschema, conforming types, calling a sink per record — manages 5 to
20 thousand rows a second, so this target overrides the message callbacks and hands every
message to a :class:`~target_postgres.loader.Loader`, which streams records into COPY.
What the SDK's sinks would check per record is checked by Postgres while it parses the COPY
(see :mod:`target_postgres.failures`). BATCH messages of singer-sdk's ``jsonl`` format feed
the same path; elt's ``csv`` format goes to COPY as it is (:mod:`target_postgres.csvbatch`).

Inline ``stream_maps`` and flattening are singer-sdk's own, applied in front of the loader
by :class:`elt.sdk.StreamMaps` when the config asks for them; the record callback is chosen
once, so a run without maps goes straight to the loader. ``validate_records`` is not
offered: Postgres checks every value while parsing the COPY.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Mapping
from pathlib import PurePath
from types import FrameType
from typing import Any, ClassVar

from singer_sdk.exceptions import RecordsWithoutSchemaException
from singer_sdk.helpers.capabilities import (
    CapabilitiesEnum,
    PluginCapabilities,
    TargetCapabilities,
)

from elt.errors import ConfigError, Interrupted, ProtocolError
from elt.protocol import dumps
from elt.sdk import OrjsonReader, StdoutSink, StreamMaps, Target, add_map_settings, maps_configured
from target_postgres.batch import FORMATS, batch_files, batch_records
from target_postgres.connection import connect
from target_postgres.loader import Loader
from target_postgres.settings import CONFIG_SCHEMA, Settings

__all__ = ["TargetPostgres"]

logger = logging.getLogger(__name__)


class TargetPostgres(Target):
    """Loads Singer streams into PostgreSQL tables with COPY."""

    name = "target-postgres"
    config_jsonschema = CONFIG_SCHEMA
    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        PluginCapabilities.ABOUT,
        PluginCapabilities.STRUCTURED_LOGGING,
        PluginCapabilities.ACTIVATE_VERSION,
        PluginCapabilities.BATCH,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        TargetCapabilities.TARGET_SCHEMA,
        TargetCapabilities.SOFT_DELETE,
        TargetCapabilities.HARD_DELETE,
    ]

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
        self.settings = Settings.from_config(self.config)
        self._loader: Loader | None = None
        self._on_record: Callable[[dict[str, Any]], None] = self._record_before_schema
        self._maps = StreamMaps(self.mapper) if maps_configured(self.config) else None
        self._stdout = StdoutSink()

    @classmethod
    def append_builtin_config(cls, config_jsonschema: dict[str, Any]) -> None:
        """Add only the stream map and flattening settings: :data:`CONFIG_SCHEMA` lists the
        rest of what this target honours (the SDK's other built-ins need its sinks)."""
        add_map_settings(config_jsonschema)

    @property
    def loader(self) -> Loader:
        """The run's loader, connected on first use (so ``--about`` needs no database)."""
        if self._loader is None:
            reader = self.message_reader
            if not isinstance(reader, OrjsonReader):
                raise TypeError("TargetPostgres needs its OrjsonReader to name lines")
            self._loader = Loader(
                connect(self.config), self.settings, reader=reader, emit_state=self._write_state
            )
            self._on_record = (
                self._loader.record
                if self._maps is None
                else self._maps.records_to(self._loader.record)
            )
        return self._loader

    def _process_schema_message(self, message_dict: dict[str, Any]) -> None:
        loader = self.loader
        if self._maps is None:
            loader.schema(message_dict)
            return
        for schema in self._maps.schema(message_dict):
            loader.schema(schema)

    def _process_record_message(self, message_dict: dict[str, Any]) -> None:
        self._on_record(message_dict)

    def _record_before_schema(self, message_dict: dict[str, Any]) -> None:
        raise RecordsWithoutSchemaException(
            f"a RECORD for stream {message_dict.get('stream')!r} arrived before its SCHEMA "
            "message (the tap must send a stream's SCHEMA before its records)"
        )

    def _process_state_message(self, message_dict: dict[str, Any]) -> None:
        if self._loader is None:
            # Nothing was received before it, so nothing needs committing first.
            self._write_state(message_dict["value"])
        else:
            self._loader.state(message_dict["value"])

    def _process_activate_version_message(self, message_dict: dict[str, Any]) -> None:
        loader = self.loader
        if self._maps is None:
            loader.activate_version(message_dict)
            return
        for message in self._maps.activate_version(message_dict):
            loader.activate_version(message)

    def _process_batch_message(self, message_dict: dict[str, Any]) -> None:
        loader = self.loader
        kind = message_dict["encoding"].get("format")
        if kind == "csv":
            self._check_unmapped(message_dict["stream"])
            loader.csv_batch(message_dict)
            return
        try:
            if kind != "jsonl":
                raise ProtocolError(
                    f"BATCH for stream {message_dict['stream']!r} has format {kind!r}",
                    hint=f"target-postgres reads BATCH files in the {' and '.join(FORMATS)} "
                    "formats",
                )
            on_record = self._on_record  # through the stream maps, if any
            for message in batch_records(message_dict):
                on_record(message)
            for path in batch_files(message_dict):
                loader.file_loaded(path)
        except BaseException:
            loader.close()
            raise

    def _check_unmapped(self, stream: str) -> None:
        """Refuse a csv BATCH of a mapped stream: its files go to COPY as they are."""
        if self._maps is not None and not self._maps.passes_through(stream):
            raise ConfigError(
                f"stream {stream!r} has a stream map, which csv BATCH files cannot go through "
                "(they are loaded with COPY as they are)",
                where="stream_maps",
                hint="send RECORD messages or jsonl BATCH files for this stream (tap-csv: "
                "drop batch_config or use format jsonl), or move the map to the tap",
            )

    def process_endofpipe(self) -> None:
        if self._loader is not None:
            loader, self._loader = self._loader, None
            self._on_record = self._record_before_schema
            loader.finish()

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """Stop at once on SIGINT/SIGTERM, exiting 128 + the signal number.

        singer-sdk would exit 0 here, which a scheduler reads as success. The exception
        unwinds through the loader, which rolls back the open batch; its STATE is never
        written, so a rerun continues from the last one that was.
        """
        raise Interrupted(
            f"stopped by {signal.Signals(signum).name}; the open batch was rolled back",
            signal_number=signum,
            hint="rerun to continue from the last STATE written",
        )

    def _write_state(self, state: Mapping[str, Any]) -> None:
        self._stdout.write(dumps(state) + b"\n")
        self._stdout.flush()
        logger.debug("Emitted STATE after commit")
