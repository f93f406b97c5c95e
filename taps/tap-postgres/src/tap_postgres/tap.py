"""``TapPostgres``: the ``tap-postgres`` executable.

Connection settings are MeltanoLabs tap-postgres's (and elt's target-postgres's) names, so
its users can switch without touching their config; ``tables`` globs, ``chunk_rows``,
``state_interval_rows`` and the csv ``batch_config`` are this tap's. README.md documents
each one.
"""

from __future__ import annotations

from typing import Any, ClassVar

import psycopg
from singer_sdk import typing as th
from singer_sdk.helpers.capabilities import CapabilitiesEnum

from elt.errors import ConfigError
from elt.sdk import Tap
from elt.sdk.csvbatch import CSV_BATCH, batch_config_property
from elt.sdk.postgres import connection_properties
from tap_postgres.connection import connect, query_failure, reconnect
from tap_postgres.discovery import discover_tables
from tap_postgres.streams import DEFAULT_CHUNK_ROWS, DEFAULT_STATE_INTERVAL_ROWS, PostgresStream

__all__ = ["TapPostgres"]

_BATCH_CONFIG = batch_config_property(
    csv="COPY (SELECT …) TO STDOUT into files target-postgres loads with COPY as they are "
    "(the fast path).",
    batch_size="Rows per csv file (one key range each).",
)


class TapPostgres(Tap):
    """Singer tap reading PostgreSQL tables and views, one stream per relation."""

    name = "tap-postgres"
    capabilities: ClassVar[list[CapabilitiesEnum]] = [*Tap.capabilities, CSV_BATCH]

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
            "emit_activate_version_messages",
            th.BooleanType,
            default=True,
            description="End each complete FULL_TABLE sync with ACTIVATE_VERSION, so the target "
            "retires rows deleted at the source.",
        ),
        _BATCH_CONFIG,
    ).to_dict()

    _connection: psycopg.Connection[Any] | None = None

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
        try:
            tables = discover_tables(
                self.connection,
                self.config.get("filter_schemas") or [],
                self.config.get("tables") or [],
            )
        except psycopg.Error as exc:
            raise query_failure(exc, relation="the catalog", config=self.config) from None
        streams = [PostgresStream(self, table) for table in tables]
        self._check_catalog([s.tap_stream_id for s in streams])
        return streams

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
