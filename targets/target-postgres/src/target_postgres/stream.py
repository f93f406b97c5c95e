"""One stream as the loader sees it: its table, its COPY columns and how its rows travel.

A stream's rows go to Postgres in one of three modes, chosen per stream and per run:

``APPEND``
    COPY straight into the table (``append-only``, or no key properties).
``DIRECT``
    Upsert, optimistic: COPY straight into the table under a savepoint, relying on its
    primary key (or a unique index on exactly the key properties). New keys, the common case
    for first loads and append-style streams, cost one COPY, the same as ``psql \\copy``. If
    a key already exists (or repeats within the batch) the COPY fails with a unique
    violation; the loader rolls back to the savepoint, replays the same bytes into a staging
    table and merges them, and keeps the stream ``STAGED`` for the rest of the run.
``STAGED``
    Upsert through a temporary staging table: COPY into it, then one UPDATE and one INSERT
    of the last row per key (see :mod:`target_postgres.merge`). Used when the table has no
    unique key to conflict on, or after ``DIRECT`` met an existing key.

The mode only changes how fast an upsert is, never its result: both paths leave the table
holding the last record of each key.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

from elt.errors import ProtocolError
from target_postgres.identifiers import TableName, pg_name
from target_postgres.rows import Convert, Field, RowFunction, Source
from target_postgres.types import PgType, column_type, content_encoding

__all__ = [
    "DECODED",
    "METADATA",
    "VERSION_COLUMNS",
    "Layout",
    "Mode",
    "Stream",
    "conversion",
    "layout",
]


class Mode(Enum):
    """How a stream's rows reach its table (see the module docstring)."""

    APPEND = "append"
    DIRECT = "direct"
    STAGED = "staged"


SYNC_STARTED_AT: Final = "_sdc_sync_started_at"
DELETED_AT: Final = "_sdc_deleted_at"
TABLE_VERSION: Final = "_sdc_table_version"

# (column, type, source, message/record key) of the add_record_metadata columns.
METADATA: Final = (
    ("_sdc_extracted_at", PgType.TIMESTAMPTZ, Source.MESSAGE, "time_extracted"),
    ("_sdc_received_at", PgType.TIMESTAMPTZ, Source.CLOCK, ""),
    ("_sdc_batched_at", PgType.TIMESTAMPTZ, Source.CLOCK, ""),
    (DELETED_AT, PgType.TIMESTAMPTZ, Source.RECORD, DELETED_AT),
    ("_sdc_sequence", PgType.BIGINT, Source.SEQUENCE, ""),
    (TABLE_VERSION, PgType.BIGINT, Source.MESSAGE, "version"),
    (SYNC_STARTED_AT, PgType.BIGINT, Source.CONSTANT, ""),
)
# What ACTIVATE_VERSION needs even without add_record_metadata.
VERSION_COLUMNS: Final = tuple(m for m in METADATA if m[0] in (DELETED_AT, TABLE_VERSION))

_INTEGER_TYPES: Final = frozenset({"smallint", "integer", "bigint"})
_JSON_TYPES: Final = frozenset({"json", "jsonb"})


@dataclass(frozen=True, slots=True)
class Layout:
    """The columns a SCHEMA asks for: COPY fields, their wanted types, the key columns."""

    fields: tuple[Field, ...]
    types: tuple[tuple[str, PgType], ...]
    keys: tuple[str, ...]


def layout(
    message: Mapping[str, Any],
    *,
    metadata: bool,
    versioned: bool,
    sync_started_ms: int,
    where: Callable[[str | None], str],
    encodings: bool = False,
) -> Layout:
    """The columns for a SCHEMA message; conversions are set later from the real table.

    ``where(property)`` locates the SCHEMA (and a property of it) in errors: the input
    line and the stream, so messages name neither. ``encodings``
    (interpret_content_encoding) makes strings with a base16/base64 ``contentEncoding``
    ``bytea`` columns whose values are decoded.
    """
    schema = message["schema"]
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(properties, Mapping):
        raise ProtocolError(
            'the SCHEMA has no "properties" object',
            where=where(None),
            hint="a stream's schema must be a JSON Schema object with properties",
        )
    key_properties = tuple(message.get("key_properties") or ())
    unknown = [k for k in key_properties if k not in properties]
    if unknown:
        raise ProtocolError(
            "a key property is not one of the SCHEMA's properties",
            where=where(unknown[0]),
            hint="each of key_properties must be one of the schema's properties",
        )
    fields: list[Field] = []
    types: list[tuple[str, PgType]] = []
    for name, prop in properties.items():
        column = pg_name(name, "column", where(name))
        pg_type = column_type(prop, where=where(name), encodings=encodings)
        convert = Convert(content_encoding(prop)) if pg_type is PgType.BYTEA else Convert.NONE
        fields.append(Field(column, name, convert=convert, key=name in key_properties))
        types.append((column, pg_type))
    extra = METADATA if metadata else VERSION_COLUMNS if versioned else ()
    for column, pg_type, source, key in extra:
        if column in properties:
            continue
        # Without add_record_metadata, _sdc_deleted_at is only ACTIVATE_VERSION's column: a
        # row loaded now is live, whatever undeclared _sdc_deleted_at its record holds.
        live = column == DELETED_AT and not metadata
        value = sync_started_ms if column == SYNC_STARTED_AT else None
        fields.append(
            Field(column, key, Source.CONSTANT if live else source, value=value, declared=False)
        )
        types.append((column, pg_type))
    columns = [f.column for f in fields]
    if len(set(columns)) != len(columns):
        duplicate = next(c for c in columns if columns.count(c) > 1)
        raise ProtocolError(
            f"two properties would be stored as column {duplicate!r}",
            where=where(None),
            hint="rename one of them in the tap",
        )
    keys = tuple(pg_name(k, "column") for k in key_properties)
    return Layout(tuple(fields), tuple(types), keys)


DECODED: Final = frozenset({Convert.BASE16, Convert.BASE64})


def conversion(type_name: str | None) -> Convert:
    """The conversion a value needs for a column of this catalog type (bytea's comes from
    the SCHEMA's contentEncoding, see :func:`layout`)."""
    if type_name in _INTEGER_TYPES:
        return Convert.INTEGER
    if type_name in _JSON_TYPES:
        return Convert.JSON
    return Convert.NONE


@dataclass(eq=False, slots=True)
class Stream:
    """A stream's table and the rows of the open batch that have not reached it yet."""

    name: str
    table: TableName
    message: Mapping[str, Any]
    fields: tuple[Field, ...]
    keys: tuple[str, ...]
    mode: Mode
    row: RowFunction
    lenient_row: RowFunction
    versioned: bool
    column_types: dict[str, str] = field(default_factory=dict)
    truncate_first: bool = False
    staging: str | None = None
    staged_rows: int = 0
    # a unit's staging table: every column it has (name → type), see target_postgres.units
    staging_columns: dict[str, str] = field(default_factory=dict)
    # encoded rows not yet sent, their input lines, and how many make a send worthwhile
    parts: list[bytes] = field(default_factory=list)
    lines: array[int] = field(default_factory=lambda: array("q"))
    limit: int = 1

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.column for f in self.fields)

    def take(self) -> tuple[bytes, array[int]]:
        """The rows not yet sent, as one block of COPY data, with their input lines."""
        parts, lines = self.parts, self.lines
        self.parts, self.lines = [], array("q")
        parts.append(b"")
        return b"\n".join(parts), lines
