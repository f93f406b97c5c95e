"""``TapPostgres``: the ``tap-postgres`` executable.

Every setting of MeltanoLabs tap-postgres is implemented under its name and meaning
(connection, ``ssh_tunnel``, ``filter_schemas``, ``max_record_count``, ``stream_options``,
``default_replication_method``, ``dates_as_string``, ``json_as_object``,
``use_singer_decimal``), so its users can switch without touching their config, except
those of log-based replication, which ``setting_rules`` refuses with what to use instead.
``tables`` globs, ``chunk_rows``, ``state_interval_rows`` and the csv ``batch_config`` are
this tap's. README.md lists each one, and a test keeps that list true.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import psycopg
from singer_sdk import typing as th
from singer_sdk.helpers.capabilities import CapabilitiesEnum

from elt.errors import ConfigError
from elt.sdk import SettingRule, refused
from elt.sdk.csvbatch import CSV_BATCH, batch_config_property
from elt.sdk.partitions import PartitionedTap
from elt.sdk.postgres import connection_properties
from tap_postgres.connection import connect, query_failure, reconnect
from tap_postgres.discovery import discover_tables
from tap_postgres.options import (
    LOG_BASED_REFUSAL,
    REPLICATION_METHODS,
    check_default_method,
    chosen_methods,
    max_record_count,
    stream_options,
)
from tap_postgres.streams import DEFAULT_CHUNK_ROWS, DEFAULT_STATE_INTERVAL_ROWS, PostgresStream

__all__ = ["TapPostgres"]

_BATCH_CONFIG = batch_config_property(
    csv="COPY (SELECT …) TO STDOUT into files target-postgres loads with COPY as they are "
    "(the fast path).",
    batch_size="Rows per csv file (one key range each).",
)


class TapPostgres(PartitionedTap):
    """Singer tap reading PostgreSQL tables and views, one stream per relation."""

    name = "tap-postgres"
    package_name = "elt-tap-postgres"  # for --version and --about
    capabilities: ClassVar[list[CapabilitiesEnum]] = [*PartitionedTap.capabilities, CSV_BATCH]
    #: MeltanoLabs' settings of log-based replication (replication_slot_name,
    #: replication_max_run_seconds, replication_idle_exit_seconds,
    #: log_based_single_connection, auto_bootstrap_log_based)
    setting_rules: ClassVar[Mapping[str, SettingRule]] = {
        "replication_*": refused(LOG_BASED_REFUSAL),
        "*log_based*": refused(LOG_BASED_REFUSAL),
    }

    config_jsonschema = th.PropertiesList(
        *connection_properties("Database to read."),
        th.Property(
            "filter_schemas",
            th.ArrayType(th.StringType),
            description="Schemas to discover. Empty or unset: every schema but the system ones.",
        ),
        th.Property(
            "tables",
            th.ArrayType(th.StringType),
            description='Globs on schema.table choosing the streams, e.g. ["public.*", '
            '"!public.tmp_*"]; a glob starting with ! excludes. Unset: every table and view.',
        ),
        th.Property(
            "chunk_rows",
            th.IntegerType,
            default=DEFAULT_CHUNK_ROWS,
            description="Rows per key range: each chunk is one bounded index range read in its "
            "own short transaction.",
        ),
        th.Property(
            "state_interval_rows",
            th.IntegerType,
            default=DEFAULT_STATE_INTERVAL_ROWS,
            description="A STATE with the last key sent goes out every this many rows, so a "
            "stopped run resumes close to where it stopped.",
        ),
        th.Property(
            "max_record_count",
            th.IntegerType,
            description="Rows each stream sends at most per run; the next run continues after "
            "the last one (a FULL_TABLE snapshot cut short sends no ACTIVATE_VERSION). "
            "Unset or 0: no limit.",
        ),
        th.Property(
            "default_replication_method",
            th.StringType,
            default="FULL_TABLE",
            allowed_values=list(REPLICATION_METHODS),
            description="A stream's replication method when the catalog names none (and no "
            "replication key). LOG_BASED is refused.",
        ),
        th.Property(
            "stream_options",
            th.ObjectType(
                additional_properties=th.ObjectType(
                    th.Property(
                        "custom_where_clauses",
                        th.ArrayType(th.StringType),
                        description="SQL conditions the stream's rows must meet, ANDed.",
                    ),
                    th.Property(
                        "partitions",
                        th.IntegerType,
                        description="--partitions cuts the stream into this many ranges of "
                        "its primary key (one integer column), of equal width.",
                    ),
                    th.Property(
                        "partition_rows",
                        th.IntegerType,
                        description="--partitions cuts the stream into key ranges of about "
                        "this many rows (instead of partitions).",
                    ),
                    additional_properties=False,
                )
            ),
            description='Per stream id (schema-table): {"public-orders": {"custom_where_clauses": '
            '["amount > 0"], "partitions": 8}}. A stream id the tap does not have is an error.',
        ),
        th.Property(
            "dates_as_string",
            th.BooleanType,
            default=False,
            description="date, timestamp and timestamptz columns are strings without a format, "
            "holding Postgres's text for the value (infinity, BC dates, year 10000+).",
        ),
        th.Property(
            "json_as_object",
            th.BooleanType,
            default=False,
            description="json and jsonb columns are typed object (values are sent as they are).",
        ),
        th.Property(
            "use_singer_decimal",
            th.BooleanType,
            default=False,
            description="numeric, real and double precision columns are strings with format "
            "x-singer.decimal holding the number's exact text.",
        ),
        th.Property(
            "emit_activate_version_messages",
            th.BooleanType,
            default=True,
            description="End each complete FULL_TABLE sync with ACTIVATE_VERSION, so the target "
            "retires rows deleted at the source.",
        ),
        _BATCH_CONFIG,
    ).to_dict()

    _connection: psycopg.Connection[Any] | None = None

    def __init__(self, **kwargs: Any) -> None:
        #: each stream's ``replication-method`` metadata in the input catalog
        self.chosen_methods = chosen_methods(kwargs.get("catalog"))
        super().__init__(**kwargs)

    def precheck_config(self) -> None:
        """LOG_BASED as the default method is refused with what to use instead, before the
        schema check would only say it is not an allowed value. (``--discover`` validates
        without raising: :meth:`discover_streams` checks again.)"""
        check_default_method(self._config)
        max_record_count(self._config)

    @property
    def connection(self) -> psycopg.Connection[Any]:
        """The run's one session, opened on first use (``--about`` needs no server)."""
        if self._connection is None:
            self._connection = connect(self.config)
        return self._connection

    def reconnect(self) -> psycopg.Connection[Any]:
        """Replace a lost session (:func:`tap_postgres.connection.reconnect`)."""
        if self._connection is not None:
            self._connection.close()
        self._connection = None
        self._connection = reconnect(self.config)
        return self._connection

    def discover_streams(self) -> list[PostgresStream]:
        check_default_method(self.config)
        max_record_count(self.config)
        try:
            tables = discover_tables(
                self.connection,
                self.config.get("filter_schemas") or [],
                self.config.get("tables") or [],
            )
        except psycopg.Error as exc:
            raise query_failure(exc, relation="the catalog", config=self.config) from None
        options = stream_options(self.config, [table.stream_id for table in tables])
        streams = [PostgresStream(self, table, options.get(table.stream_id)) for table in tables]
        self._check_catalog([s.tap_stream_id for s in streams])
        return streams

    def check_selected_streams(self) -> None:
        """Before the first message: refuse what no selected stream can be synced as (a
        LOG_BASED stream, an INCREMENTAL one without a usable key), all in one paragraph."""
        problems = [
            problem
            for stream in self.streams.values()
            if isinstance(stream, PostgresStream) and stream.selected
            for problem in stream.problems()
        ]
        if problems:
            log_based = any("LOG_BASED" in p for p in problems)
            raise ConfigError(
                "; ".join(problems),
                where="catalog",
                hint=LOG_BASED_REFUSAL if log_based else None,
            )

    def _check_catalog(self, found: list[str]) -> None:
        """A selected stream of ``--catalog`` whose table is gone is an error, not a skip."""
        catalog = self.input_catalog
        if catalog is None:
            return
        known = set(found)
        for stream_id, entry in catalog.items():
            if stream_id not in known and entry.metadata.root.selected:
                raise ConfigError(
                    f"the catalog selects stream {stream_id!r}, but its table does not exist "
                    "(or filter_schemas / tables leave it out)",
                    where="catalog",
                    hint="run tap-postgres --discover again, or deselect the stream",
                )
