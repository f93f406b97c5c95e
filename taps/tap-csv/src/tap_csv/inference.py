"""What an entity's files hold: their columns, each column's kind, and the JSON Schema.

Discovery reads the header of every file (the columns are their union, in order of first
appearance) and a bounded sample: the first ``infer_sample_rows`` data rows, across files in
path order. Each column gets the narrowest kind every non-null sampled text fits, tried in
the order integer, number, boolean, date, date-time; otherwise, or when the sample holds
only nulls, string. A column the config's ``schema`` declares keeps its declared type and is
not inferred.

A sample can guess wrong; what happens then is the sync's business (see
:mod:`tap_csv.streams`): inferred columns widen, declared columns are errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from elt.errors import ConfigError, ProtocolError
from tap_csv.columns import Kind, Nulls, fits
from tap_csv.files import SourceFile, find_files
from tap_csv.rows import CsvFile
from tap_csv.settings import EntitySettings

__all__ = [
    "METADATA_COLUMNS",
    "SOURCE_FILE",
    "SOURCE_FILE_MTIME",
    "SOURCE_LINENO",
    "Column",
    "Table",
    "discover",
    "infer_kind",
    "kind_of",
    "property_of",
]

SOURCE_FILE: Final = "_sdc_source_file"
SOURCE_FILE_MTIME: Final = "_sdc_source_file_mtime"
SOURCE_LINENO: Final = "_sdc_source_lineno"
# The names and order of MeltanoLabs tap-csv, so its users keep their tables.
METADATA_COLUMNS: Final = (SOURCE_FILE, SOURCE_FILE_MTIME, SOURCE_LINENO)

_INFERRED_ORDER: Final = (Kind.INTEGER, Kind.NUMBER, Kind.BOOLEAN, Kind.DATE, Kind.DATE_TIME)


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a stream: its kind, whether it may be null, and whether it was declared.

    A declared column's type is a promise the user made, so a value that does not fit it
    is an error; an inferred column widens instead.
    """

    name: str
    kind: Kind
    nullable: bool = True
    declared: bool = False
    schema: Mapping[str, Any] | None = None

    def property(self) -> dict[str, Any]:
        """The column's JSON Schema: as declared, or the one for its kind."""
        if self.schema is not None:
            return dict(self.schema)
        return property_of(self.kind, nullable=self.nullable)

    def widened(self, kind: Kind) -> Column:
        """The same column holding ``kind`` and null: what a value that did not fit needs."""
        return replace(self, kind=kind, nullable=True, schema=None)


def property_of(kind: Kind, *, nullable: bool = True) -> dict[str, Any]:
    """The JSON Schema property for a column of ``kind``."""
    json_type = kind.value if kind in (Kind.INTEGER, Kind.NUMBER, Kind.BOOLEAN) else "string"
    prop: dict[str, Any] = {"type": [json_type, "null"] if nullable else json_type}
    if kind in (Kind.DATE, Kind.DATE_TIME):
        prop["format"] = kind.value
    return prop


def kind_of(prop: Mapping[str, Any], *, where: str) -> tuple[Kind, bool]:
    """The kind and nullability a JSON Schema property describes, for the types CSV can hold."""
    raw = prop.get("type")
    types = [raw] if isinstance(raw, str) else raw
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise ConfigError(
            f"expected a JSON Schema `type`, got {raw!r}",
            where=where,
            hint='Use for example {"type": "integer"} or {"type": ["string", "null"]}',
        )
    nullable = "null" in types
    concrete = [t for t in types if t != "null"]
    if len(concrete) == 1 and concrete[0] in ("integer", "number", "boolean"):
        return Kind(concrete[0]), nullable
    if concrete == ["string"]:
        fmt = prop.get("format")
        if fmt in ("date", "date-time"):
            return Kind(fmt), nullable
        return Kind.STRING, nullable
    raise ConfigError(
        f"type {raw!r} is not one a CSV column can hold",
        where=where,
        hint="Use one of integer, number, boolean or string (with format date or "
        'date-time), optionally with "null"',
    )


def infer_kind(texts: Sequence[str], nulls: Nulls) -> Kind:
    """The narrowest kind every non-null text fits; string when none or nothing to go on."""
    present = [text for text in texts if text not in nulls.typed_texts]
    for kind in _INFERRED_ORDER:
        if present and all(fits(kind, text) for text in present):
            return kind
    return Kind.STRING


@dataclass(frozen=True, slots=True)
class Table:
    """An entity as discovered: its files and columns (metadata columns first, if added)."""

    files: tuple[SourceFile, ...]
    columns: tuple[Column, ...]

    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {column.name: column.property() for column in self.columns},
        }


def discover(settings: EntitySettings, *, metadata_columns: bool) -> Table:
    """Find the entity's files, read their headers and a sample, and type every column."""
    files = tuple(find_files(settings.path, where=f"{settings.where}.path"))
    names: dict[str, None] = {}
    samples: dict[str, list[str]] = {}
    wanted = settings.infer_sample_rows
    for source in files:
        with CsvFile(source, settings) as csv_file:
            if csv_file.header is None:
                continue
            names.update(dict.fromkeys(csv_file.header))
            batch = next(csv_file.batches(wanted), None) if wanted > 0 else None
            if batch is not None:
                for name, texts in zip(csv_file.header, zip(*batch.rows, strict=True), strict=True):
                    samples.setdefault(name, []).extend(texts)
                wanted -= len(batch.rows)
    if not names:
        raise ProtocolError(
            "no file has a header row, so the columns are unknown",
            where=f"{settings.where}.path",
            hint="Declare the column names in `fieldnames`",
        )
    nulls = Nulls(settings.null_values)
    declared = settings.schema or {}
    columns = [
        _declared(name, declared[name], f"{settings.where}.schema.{name}")
        if name in declared
        else Column(name, infer_kind(samples.get(name, ()), nulls))
        for name in names
    ]
    if metadata_columns:
        clash = next((name for name in METADATA_COLUMNS if name in names), None)
        if clash is not None:
            raise ConfigError(
                f"the files already have a column named {clash!r}",
                where="add_metadata_columns",
                hint="Turn add_metadata_columns off, or rename the column in the files",
            )
        columns[:0] = [
            Column(SOURCE_FILE, Kind.STRING, nullable=False),
            Column(SOURCE_FILE_MTIME, Kind.DATE_TIME, nullable=False),
            Column(SOURCE_LINENO, Kind.INTEGER, nullable=False),
        ]
    _check_named(settings, [column.name for column in columns], declared)
    return Table(files, tuple(columns))


def _declared(name: str, prop: Mapping[str, Any], where: str) -> Column:
    kind, nullable = kind_of(prop, where=where)
    return Column(name, kind, nullable=nullable, declared=True, schema=prop)


def _check_named(
    settings: EntitySettings, names: Sequence[str], declared: Mapping[str, Any]
) -> None:
    """Keys, the replication key and declared columns must all be columns of the files."""
    known = set(names)
    listed = ", ".join(names)
    for key in settings.keys:
        if key not in known:
            raise ConfigError(
                f"key column {key!r} is not a column of the files",
                where=f"{settings.where}.keys",
                hint=f"The columns are: {listed}",
            )
    if settings.replication_key is not None and settings.replication_key not in known:
        raise ConfigError(
            f"replication key {settings.replication_key!r} is not a column of the files",
            where=f"{settings.where}.replication_key",
            hint=f"The columns are: {listed}",
        )
    for name in declared:
        if name not in known:
            raise ConfigError(
                f"the schema declares column {name!r}, which no file has",
                where=f"{settings.where}.schema",
                hint=f"The columns are: {listed}",
            )
