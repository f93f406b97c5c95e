"""A SCHEMA message → a :class:`~target_postgres.stream.Stream`: its table, made to fit.

Each stream loads into the table named after it
(:func:`~target_postgres.identifiers.table_for_stream`), and no two streams into one table:
two that would are refused, never merged. A SCHEMA creates the table or makes it grow (new
columns, wider types: see :mod:`target_postgres.tables`); the columns' real types then pick
each value's conversion, and the row function is compiled for them
(:mod:`target_postgres.rows`). The table's keys decide the stream's mode
(:mod:`target_postgres.stream`). In a unit of a split run the unit's own connection makes
the table fit (:mod:`target_postgres.units`), and the unit's rows of an earlier SCHEMA stay
staged, in a staging table made to fit the new one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import psycopg

from elt.errors import ProtocolError
from target_postgres.failures import database_failure
from target_postgres.identifiers import TableName, table_for_stream
from target_postgres.rows import Clock, Field, Source, compile_row
from target_postgres.settings import LoadMethod, Settings
from target_postgres.stream import DECODED, TABLE_VERSION, Mode, Stream, conversion, layout
from target_postgres.tables import TableInfo, create_table, describe, ensure_schema, evolve
from target_postgres.units import LEDGER, Unit, fit_staging

__all__ = ["Schemas", "same_schema"]

Where = Callable[..., str]


class Schemas:
    """Applies SCHEMA messages: owns which stream loads into which table.

    ``clock`` and ``sequence`` feed the record metadata of every stream's rows;
    ``where(stream=, prop=)`` locates errors.
    """

    def __init__(
        self,
        cur: psycopg.Cursor[Any],
        settings: Settings,
        *,
        unit: Unit | None,
        clock: Clock,
        sequence: Iterator[int],
        sync_started_ms: int,
        where: Where,
    ) -> None:
        self._cur = cur
        self._settings = settings
        self._unit = unit
        self._clock = clock
        self._sequence = sequence
        self._sync_started_ms = sync_started_ms
        self._where = where
        self._owners: dict[TableName, str] = {}  # table → the stream that loads into it

    def apply(
        self,
        name: str,
        message: Mapping[str, Any],
        previous: Stream | None,
        *,
        versioned: bool = False,
    ) -> Stream:
        """Make the stream's table fit its SCHEMA and compile its row function.

        ``previous`` is the stream as its earlier SCHEMA made it, whose rows of this batch
        the loader has sent; ``versioned`` asks for ACTIVATE_VERSION's columns.
        """
        settings = self._settings
        where = self._where(stream=name)
        table = table_for_stream(name, settings.default_target_schema, where)
        if table.table == LEDGER:
            raise ProtocolError(
                f"stream {name!r} would load into {table}, the name of target-postgres' unit "
                "ledger",
                where=where,
                hint="rename the stream (a stream map) or load it into another schema",
            )
        owner = self._owners.setdefault(table, name)
        if owner != name:
            raise ProtocolError(
                f"stream {owner!r} already loads into table {table}",
                where=where,
                hint="rename one of them (a stream map), or set default_target_schema",
            )
        unit = self._unit
        try:
            if unit is None:
                ensure_schema(self._cur, table.schema)
            info = describe(self._cur, table, where=where)
            versioned = (
                versioned
                or settings.add_record_metadata
                or (previous is not None and previous.versioned)
                or (
                    settings.activate_version and info is not None and TABLE_VERSION in info.columns
                )
            )
            plan = layout(
                message,
                metadata=settings.add_record_metadata,
                versioned=versioned,
                sync_started_ms=self._sync_started_ms,
                where=lambda prop: self._where(stream=name, prop=prop),
                encodings=settings.interpret_content_encoding,
            )
            appending = settings.load_method is LoadMethod.APPEND_ONLY or not plan.keys
            if unit is not None:
                keys = () if appending else plan.keys
                info = unit.tables.fit(table, plan.types, keys, where=where)
            elif info is None:
                info = create_table(self._cur, table, plan.types, () if appending else plan.keys)
            else:
                info = evolve(self._cur, table, info, plan.types)
        except psycopg.Error as exc:
            raise database_failure(exc, f"preparing table {table} for stream {name!r}") from None
        mode = self._mode(
            name, table, info=info, keys=plan.keys, appending=appending, previous=previous
        )
        if unit is not None and mode is Mode.DIRECT:
            mode = Mode.STAGED  # a unit stages every row until its end (units.py)
        fields = tuple(_converted(f, info.columns.get(f.column)) for f in plan.fields)
        rows = compile_row(
            fields,
            clock=self._clock,
            sequence=self._sequence,
            watch_version=settings.activate_version and not versioned,
        )
        staging = self._keep_staging(previous, plan.fields, info) if unit is not None else None
        if previous is not None and previous.staging is not None and staging is None:
            try:
                self._cur.execute(f"DROP TABLE IF EXISTS {previous.staging}")
            except psycopg.Error as exc:
                raise database_failure(exc, "dropping a staging table") from None
        return Stream(
            name=name,
            table=table,
            message=message,
            fields=fields,
            keys=plan.keys,
            mode=mode,
            row=rows.lenient
            if previous is not None and previous.row is previous.lenient_row
            else rows.strict,
            lenient_row=rows.lenient,
            versioned=versioned,
            column_types=info.columns,
            truncate_first=(
                settings.load_method is LoadMethod.OVERWRITE
                and (previous is None or previous.truncate_first)
            ),
            **(staging or {}),
        )

    def _keep_staging(
        self, previous: Stream | None, fields: Sequence[Field], info: TableInfo
    ) -> dict[str, Any] | None:
        """A unit's rows of the stream's earlier SCHEMA stay staged until the unit ends: the
        staging table gets the new columns and types, and passes to the new stream."""
        if previous is None or previous.staging is None:
            return None
        want = {f.column: info.columns[f.column] for f in fields}
        try:
            fit_staging(self._cur, previous.staging, previous.staging_columns, want)
        except psycopg.Error as exc:
            raise database_failure(exc, f"altering staging table {previous.staging}") from None
        return {
            "staging": previous.staging,
            "staged_rows": previous.staged_rows,
            "staging_columns": previous.staging_columns,
        }

    def _mode(
        self,
        name: str,
        table: TableName,
        *,
        info: TableInfo,
        keys: tuple[str, ...],
        appending: bool,
        previous: Stream | None,
    ) -> Mode:
        if appending:
            return Mode.APPEND
        if info.primary_key and set(info.primary_key) != set(keys):
            raise ProtocolError(
                f"table {table} has primary key ({', '.join(info.primary_key)}) but the "
                f"stream's key properties are ({', '.join(keys)})",
                where=self._where(stream=name),
                hint="upserts need the table's key and the stream's to match: change the "
                "table's primary key, or the tap's key_properties",
            )
        if previous is not None and previous.mode is Mode.STAGED:
            return Mode.STAGED
        return Mode.DIRECT if info.is_unique_on(keys) else Mode.STAGED


def same_schema(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether a SCHEMA message changes nothing: same schema, same key properties."""
    return bool(
        old.get("schema") == new.get("schema")
        and (old.get("key_properties") or []) == (new.get("key_properties") or [])
    )


def _converted(field: Field, type_name: str | None) -> Field:
    if field.source not in (Source.RECORD, Source.MESSAGE):
        return field
    if field.convert in DECODED and type_name == "bytea":
        return field  # an existing text column keeps the encoded text (below)
    convert = conversion(type_name)
    if convert is field.convert:
        return field
    return dataclasses.replace(field, convert=convert)
