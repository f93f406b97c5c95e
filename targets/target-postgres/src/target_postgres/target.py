"""``target-postgres``: singer-sdk's CLI and config handling, elt's lean load path.

A :class:`elt.sdk.LeanTarget`: singer-sdk's per-record path — copying each record,
validating it with jsonschema, conforming types, calling a sink per record — manages 5 to
20 thousand rows a second, so every message goes to a
:class:`~target_postgres.loader.Loader`, which streams records into COPY.
What the SDK's sinks would check per record is checked by Postgres while it parses the COPY
(see :mod:`target_postgres.failures`). BATCH messages of singer-sdk's ``jsonl`` format feed
the same path; elt's ``csv`` format goes to COPY as it is (:mod:`target_postgres.csvbatch`).

Inline ``stream_maps`` and flattening are applied in front of the loader when the config
asks for them (see :mod:`elt.sdk.lean`). ``validate_records`` is opt-in
(:mod:`target_postgres.validation`): Postgres checks every value while parsing the COPY.

Every setting of MeltanoLabs' target-postgres is implemented (declared in
:data:`~target_postgres.settings.CONFIG_SCHEMA`), or named in :attr:`TargetPostgres.setting_rules`
with why it has no effect here; the README's table lists each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from singer_sdk.helpers.capabilities import (
    CapabilitiesEnum,
    TargetCapabilities,
)

from elt.errors import ConfigError, ProtocolError
from elt.sdk import LeanTarget, OrjsonReader, SettingRule, warned
from elt.sdk.batch import batch_files, batch_records
from elt.sdk.csvbatch import CSV_BATCH
from elt.sdk.lean import LEAN_TARGET_CAPABILITIES
from target_postgres.connection import connect
from target_postgres.loader import Loader
from target_postgres.settings import CONFIG_SCHEMA, Settings

__all__ = ["FORMATS", "TargetPostgres"]

# BATCH formats read: singer-sdk's jsonl, and elt's csv (straight into COPY).
FORMATS: Final = ("jsonl", "csv")


class TargetPostgres(LeanTarget):
    """Loads Singer streams into PostgreSQL tables with COPY."""

    name = "target-postgres"
    package_name = "elt-target-postgres"  # for --version and --about
    aborted_note = "the open batch was rolled back"
    config_jsonschema = CONFIG_SCHEMA
    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        *LEAN_TARGET_CAPABILITIES,
        TargetCapabilities.TARGET_SCHEMA,
        TargetCapabilities.SOFT_DELETE,
        TargetCapabilities.HARD_DELETE,
        TargetCapabilities.VALIDATE_RECORDS,
        CSV_BATCH,
    ]
    #: MeltanoLabs' settings that cannot change what is loaded here
    setting_rules: ClassVar[Mapping[str, SettingRule]] = {
        "use_copy": warned(
            "target-postgres always loads with COPY; INSERT statements would load the same "
            "rows, only slower"
        ),
        "dialect+driver": warned(
            "target-postgres always connects through libpq with psycopg 3, which cannot "
            "change what is loaded (MeltanoLabs deprecated the setting too); connection "
            "options go in sqlalchemy_url"
        ),
    }

    def __init__(self, **kwargs: Any) -> None:
        """singer-sdk's ``Target(config=…, parse_env_config=…, validate_config=…)``."""
        super().__init__(**kwargs)
        self.settings = Settings.from_config(self.config)

    def open_load(self, reader: OrjsonReader) -> Loader:
        """The run's loader, connected on first use (so ``--about`` needs no database)."""
        return Loader(
            connect(self.config), self.settings, reader=reader, emit_state=self._write_state
        )

    @property
    def loader(self) -> Loader:
        load = self.load
        assert isinstance(load, Loader)
        return load

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
                    f"the BATCH has format {kind!r}",
                    where=loader.where(stream=message_dict["stream"]),
                    hint=f"target-postgres reads BATCH files in the {' and '.join(FORMATS)} "
                    "formats",
                )
            on_record = self.on_record  # through the stream maps, if any
            for message in batch_records(message_dict):
                on_record(message)
            for path in batch_files(message_dict):
                loader.file_loaded(path)
        except BaseException:
            loader.abort()
            raise

    def _check_unmapped(self, stream: str) -> None:
        """Refuse a csv BATCH of a mapped stream: its files go to COPY as they are."""
        if self.maps is not None and not self.maps.passes_through(stream):
            raise ConfigError(
                f"stream {stream!r} has a stream map, which csv BATCH files cannot go through "
                "(they are loaded with COPY as they are)",
                where="stream_maps",
                hint="send RECORD messages or jsonl BATCH files for this stream (tap-csv: "
                "drop batch_config or use format jsonl), or move the map to the tap",
            )
