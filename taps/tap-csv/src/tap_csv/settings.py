"""The per-entity settings: read from ``files`` and ``csv_files_definition``, checked once.

singer-sdk validates ``config.json`` against the tap's JSON Schema, but the entries of a
``csv_files_definition`` file never pass through it, and a JSON Schema error cannot say
"``delimiter`` must be one character". So every entry, wherever it came from, is checked
here and each error names the entry (``files[2].delimiter``) and what was expected.

Settings that shape how a file is read (``encoding``, the CSV dialect, ``null_values``,
``infer_sample_rows``) may also be given at the top level of the config, as the default for
every entry; an entry's own value wins.

An entry key tap-csv does not take is an error; ``ENTRY_RULES`` says what to use instead of
the ones a MeltanoLabs config may hold: ``file``, which MeltanoLabs' own example sets
beside a folder ``path`` but its tap never reads (it reads every ``.csv`` under ``path``),
so whether the user meant that one file or the whole folder cannot be told.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from elt.errors import ConfigError
from elt.sdk import SettingRule, refused

__all__ = ["DEFAULTABLE", "ENTRY_RULES", "Dialect", "EntitySettings", "load_entities"]

DEFAULT_SAMPLE_ROWS: Final = 1000

# Settings an entry may take from the top level of the config, with their built-in default.
DEFAULTABLE: Final[Mapping[str, Any]] = {
    "encoding": "utf-8",
    "delimiter": ",",
    "quotechar": '"',
    "escapechar": None,
    "doublequote": True,
    "skipinitialspace": False,
    "strict": False,
    "null_values": [""],
    "infer_sample_rows": DEFAULT_SAMPLE_ROWS,
}
# Entry keys of other tap-csv implementations, refused with what to use instead.
ENTRY_RULES: Final[Mapping[str, SettingRule]] = {
    "file": refused(
        "MeltanoLabs' tap-csv does not read it either: it reads every .csv file under `path`. "
        "Name the file in `path` to read it alone, or remove `file` to read every file of "
        "the folder"
    ),
}
_ENTRY_ONLY: Final = (
    "entity",
    "path",
    "keys",
    "fieldnames",
    "has_header",
    "schema",
    "replication_key",
)


@dataclass(frozen=True, slots=True)
class Dialect:
    """How fields are separated and quoted: Python's ``csv`` dialect parameters."""

    delimiter: str = ","
    quotechar: str = '"'
    escapechar: str | None = None
    doublequote: bool = True
    skipinitialspace: bool = False
    strict: bool = False

    def reader_options(self) -> dict[str, Any]:
        """Keyword arguments for ``csv.reader``."""
        return {
            "delimiter": self.delimiter,
            "quotechar": self.quotechar,
            "escapechar": self.escapechar,
            "doublequote": self.doublequote,
            "skipinitialspace": self.skipinitialspace,
            "strict": self.strict,
            "quoting": csv.QUOTE_MINIMAL,
        }


@dataclass(frozen=True, slots=True)
class EntitySettings:
    """One stream: which files, how to read them, and what is declared about their columns."""

    entity: str
    path: str
    where: str
    keys: tuple[str, ...] = ()
    fieldnames: tuple[str, ...] | None = None
    has_header: bool = True
    schema: Mapping[str, Mapping[str, Any]] | None = None
    replication_key: str | None = None
    encoding: str = "utf-8"
    dialect: Dialect = Dialect()
    null_values: tuple[str, ...] = ("",)
    infer_sample_rows: int = DEFAULT_SAMPLE_ROWS


def load_entities(config: Mapping[str, Any]) -> list[EntitySettings]:
    """Every entry of ``files`` and of the ``csv_files_definition`` file, checked."""
    entries: list[tuple[str, Any]] = []
    files = config.get("files")
    if files is not None:
        entries.extend(_listed(files, "files"))
    definition = config.get("csv_files_definition")
    if definition:
        entries.extend(_listed(_read_definition(definition), str(definition)))
    if not entries:
        raise ConfigError(
            "no CSV files are configured",
            hint='Set `files` (a list like [{"entity": "users", "path": "data/users.csv"}]) '
            "or `csv_files_definition` (the path of a JSON file holding that list)",
        )
    defaults = {key: config.get(key, value) for key, value in DEFAULTABLE.items()}
    entities = [_entity(entry, where, defaults) for where, entry in entries]
    _check_unique(entities)
    return entities


def _listed(value: Any, where: str) -> list[tuple[str, Any]]:
    if not isinstance(value, list):
        raise ConfigError(f"expected a list of file entries, got {_kind(value)}", where=where)
    return [(f"{where}[{i}]", entry) for i, entry in enumerate(value)]


def _read_definition(path: Any) -> Any:
    where = "csv_files_definition"
    if not isinstance(path, str):
        raise ConfigError(f"expected a file path, got {_kind(path)}", where=where)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path!r}: {exc.strerror}",
            where=where,
            hint=f"Relative paths are resolved from the working directory, {Path.cwd()}",
        ) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            where=where,
        ) from exc


def _entity(entry: Any, where: str, defaults: Mapping[str, Any]) -> EntitySettings:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"expected an object, got {_kind(entry)}", where=where)
    unknown = sorted(set(entry) - set(_ENTRY_ONLY) - set(DEFAULTABLE))
    for key in unknown:
        if key in ENTRY_RULES:
            raise ConfigError(
                f"setting {key!r} is not supported: {ENTRY_RULES[key].reason}",
                where=f"{where}.{key}",
                hint=_refused_hint(key, entry),
            )
    if unknown:
        raise ConfigError(
            f"unknown setting {unknown[0]!r}",
            where=where,
            hint=f"An entry takes: {', '.join((*_ENTRY_ONLY, *DEFAULTABLE))}",
        )
    get = _Getter(entry, where, defaults)
    fieldnames = get.names("fieldnames", required=False)
    has_header = get.boolean("has_header", default=fieldnames is None)
    if fieldnames is None and not has_header:
        raise ConfigError(
            "has_header is false but no fieldnames are given",
            where=where,
            hint="List the column names in `fieldnames`",
        )
    return EntitySettings(
        entity=get.text("entity"),
        path=get.text("path"),
        where=where,
        keys=get.names("keys", required=False) or (),
        fieldnames=fieldnames,
        has_header=has_header,
        schema=get.schema(),
        replication_key=get.optional_text("replication_key"),
        encoding=get.encoding(),
        dialect=Dialect(
            delimiter=get.char("delimiter"),
            quotechar=get.char("quotechar"),
            escapechar=get.optional_char("escapechar"),
            doublequote=get.boolean("doublequote"),
            skipinitialspace=get.boolean("skipinitialspace"),
            strict=get.boolean("strict"),
        ),
        null_values=get.names("null_values", required=True, unique=False) or (),
        infer_sample_rows=get.count("infer_sample_rows"),
    )


class _Getter:
    """Reads one entry's settings, falling back to the top-level defaults, with typed errors."""

    def __init__(self, entry: Mapping[str, Any], where: str, defaults: Mapping[str, Any]):
        self.entry = entry
        self.where = where
        self.defaults = defaults

    def _raw(self, key: str) -> Any:
        return self.entry.get(key, self.defaults.get(key))

    def _error(self, key: str, expected: str, value: Any) -> ConfigError:
        return ConfigError(f"expected {expected}, got {_kind(value)}", where=f"{self.where}.{key}")

    def text(self, key: str) -> str:
        value = self._raw(key)
        if value is None:
            raise ConfigError(f"missing `{key}`", where=self.where, hint=_REQUIRED_HINT)
        if not isinstance(value, str) or not value:
            raise self._error(key, "a non-empty string", value)
        return value

    def optional_text(self, key: str) -> str | None:
        return None if self._raw(key) is None else self.text(key)

    def char(self, key: str) -> str:
        value = self._raw(key)
        if not isinstance(value, str) or len(value) != 1:
            raise self._error(key, "exactly one character", value)
        return value

    def optional_char(self, key: str) -> str | None:
        return None if self._raw(key) is None else self.char(key)

    def boolean(self, key: str, *, default: bool | None = None) -> bool:
        value = self._raw(key)
        if value is None and default is not None:
            return default
        if not isinstance(value, bool):
            raise self._error(key, "true or false", value)
        return value

    def count(self, key: str) -> int:
        value = self._raw(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self._error(key, "a positive integer", value)
        return value

    def names(self, key: str, *, required: bool, unique: bool = True) -> tuple[str, ...] | None:
        value = self._raw(key)
        if value is None and not required:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self._error(key, "a list of strings", value)
        if unique and len(set(value)) != len(value):
            raise ConfigError(
                f"{_first_duplicate(value)!r} is listed twice", where=f"{self.where}.{key}"
            )
        return tuple(value)

    def encoding(self) -> str:
        value = self._raw("encoding")
        if not isinstance(value, str):
            raise self._error("encoding", "an encoding name such as utf-8 or latin-1", value)
        try:
            codecs.lookup(value)
        except LookupError as exc:
            raise ConfigError(
                f"unknown encoding {value!r}",
                where=f"{self.where}.encoding",
                hint="Use a Python codec name such as utf-8, utf-16, latin-1 or cp1252",
            ) from exc
        return value

    def schema(self) -> Mapping[str, Mapping[str, Any]] | None:
        value = self._raw("schema")
        if value is None:
            return None
        if not isinstance(value, Mapping) or not all(
            isinstance(prop, Mapping) for prop in value.values()
        ):
            raise self._error(
                "schema",
                'an object of JSON Schema properties, like {"id": {"type": "integer"}}',
                value,
            )
        return value


def _refused_hint(key: str, entry: Mapping[str, Any]) -> str | None:
    path, name = entry.get("path"), entry.get(key)
    if key == "file" and isinstance(path, str) and isinstance(name, str):
        return f'for that one file: "path": {json.dumps(str(Path(path) / name))}'
    return None


_REQUIRED_HINT: Final = (
    'Each entry needs at least {"entity": "<stream name>", "path": "<file, folder or glob>"}'
)


def _check_unique(entities: Sequence[EntitySettings]) -> None:
    seen: dict[str, EntitySettings] = {}
    for entity in entities:
        first = seen.setdefault(entity.entity, entity)
        if first is not entity:
            raise ConfigError(
                f"entity {entity.entity!r} is already defined by {first.where}",
                where=f"{entity.where}.entity",
                hint="Each entity becomes one stream, so names must be unique; "
                "to read several files into one stream, use a folder or a glob in `path`",
            )


def _first_duplicate(values: Sequence[str]) -> str:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    raise AssertionError("no duplicate")  # pragma: no cover


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, float)):
        return str(value)
    return f"a {type(value).__name__}"
