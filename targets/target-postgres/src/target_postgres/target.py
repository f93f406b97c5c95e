"""``target-postgres``: singer-sdk's CLI and config handling, elt's lean load path.

A :class:`elt.sdk.LeanTarget`: singer-sdk's per-record path — copying each record,
validating it with jsonschema, conforming types, calling a sink per record — manages 5 to
20 thousand rows a second, so every message goes to a
:class:`~target_postgres.loader.Loader`, which streams records into COPY.
What the SDK's sinks would check per record is checked by Postgres while it parses the COPY
(see :mod:`target_postgres.failures`). BATCH messages of singer-sdk's ``jsonl`` format feed
the same path; elt's ``csv`` format (:mod:`elt.protocol.csvbatch`) goes to COPY as it is
(:mod:`target_postgres.csvbatch`).

Inline ``stream_maps`` and flattening are applied in front of the loader when the config
asks for them (see :mod:`elt.sdk.lean`). ``validate_records`` is opt-in
(:mod:`target_postgres.validation`): Postgres checks every value while parsing the COPY.

Run as one unit of a split run (``ELT_UNIT`` set, see :mod:`elt.protocol.partitions`), the
unit loads exactly once, safely next to other units of the same tables
(:mod:`target_postgres.units`).

Every setting of MeltanoLabs' target-postgres is implemented (declared in
:data:`~target_postgres.settings.CONFIG_SCHEMA`), or named in :attr:`TargetPostgres.setting_rules`
with why it has no effect here; the README's table lists each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import psycopg
from singer_sdk.helpers.capabilities import (
    CapabilitiesEnum,
    TargetCapabilities,
)

from elt.errors import ConfigError, ProtocolError
from elt.protocol import UnitIdentity, csvbatch
from elt.protocol.partitions import FINISH
from elt.sdk import LeanTarget, OrjsonReader, SettingRule, warned
from elt.sdk.batch import batch_files, batch_records
from elt.sdk.csvbatch import CSV_BATCH
from elt.sdk.lean import LEAN_TARGET_CAPABILITIES
from target_postgres.connection import connect
from target_postgres.failures import database_failure
from target_postgres.identifiers import DEFAULT_SCHEMA, pg_name
from target_postgres.loader import Loader
from target_postgres.settings import CONFIG_SCHEMA, LoadMethod, Settings
from target_postgres.units import CommittedUnit, Unit, UnitTables, claim, committed_by

__all__ = ["FORMATS", "TargetPostgres"]

# BATCH formats read: singer-sdk's jsonl, and elt's csv (straight into COPY).
FORMATS: Final = ("jsonl", csvbatch.FORMAT)


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

    def open_load(self, reader: OrjsonReader) -> Loader | CommittedUnit:
        """The run's loader, connected on first use (so ``--about`` needs no database)."""
        if self.unit is not None and FINISH not in self.unit.extra:
            return self._open_unit(self.unit, reader)
        # an ordinary load, or a split run's finishing run (its SCHEMAs and ACTIVATE_VERSIONs)
        return Loader(
            connect(self.config), self.settings, reader=reader, emit_state=self._write_state
        )

    def _open_unit(self, identity: UnitIdentity, reader: OrjsonReader) -> Loader | CommittedUnit:
        """Claim the unit in its ledger: a loader for it, or a :class:`CommittedUnit` when
        an earlier attempt committed it."""
        if self.settings.load_method is LoadMethod.OVERWRITE:
            raise ConfigError(
                f"load_method overwrite cannot load unit {identity.id}: each unit of the split "
                "run would empty the table the others load",
                where="load_method",
                hint="use upsert or append-only (a full-table stream's old rows are retired by "
                "the ACTIVATE_VERSION the coordinator sends after every unit committed)",
            )
        schema = pg_name(self.settings.default_target_schema or DEFAULT_SCHEMA, "schema")
        conn = connect(self.config)
        try:
            tables = UnitTables(connect(self.config))
        except BaseException:
            conn.close()
            raise
        try:
            ledger = tables.ledger(schema)
            cur = conn.cursor()
            if claim(cur, ledger, identity):
                unit = Unit(identity, ledger, tables)
                return Loader(
                    conn, self.settings, reader=reader, emit_state=self._write_state, unit=unit
                )
            by = committed_by(cur, ledger, identity.id)
        except BaseException as exc:
            conn.close()
            tables.close()
            if isinstance(exc, psycopg.Error):
                raise database_failure(exc, f"claiming unit {identity.id} in its ledger") from None
            raise
        conn.close()
        tables.close()
        return CommittedUnit(identity, by, self._write_state)

    def process_batch(self, message_dict: dict[str, Any]) -> None:
        loader = self.load
        if isinstance(loader, CommittedUnit):
            return  # an earlier attempt loaded the unit's files
        assert isinstance(loader, Loader)
        kind = message_dict["encoding"].get("format")
        if kind == csvbatch.FORMAT:
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
