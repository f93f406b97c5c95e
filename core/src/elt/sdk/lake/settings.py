"""The lake settings every lake target shares: one JSON Schema for ``--about``, one typed view.

A target adds its store's settings (bucket, credentials, …) through
:attr:`elt.sdk.lake.LakeTarget.store_settings`; :func:`config_schema` merges the two, so
``--about`` documents both and singer-sdk validates both, with ``<TARGET>_<SETTING>``
environment variables for free. Defaults are chosen for a lake a demanding reader expects:
gzip JSONL (exact numbers, any schema), Hive-style ``dt=`` partitions, files of at most a
million rows, and a bookmark that waits at most five minutes for its files.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from elt.errors import ConfigError
from elt.sdk.lake.formats import FORMATS, LEVELLESS_CODECS, all_codecs
from elt.sdk.lake.output import DEFAULT_LEVELS, FILE_CODECS

__all__ = [
    "DEFAULT_PATH_TEMPLATE",
    "LAKE_SETTINGS",
    "LakeSettings",
    "config_schema",
    "lake_settings",
]

DEFAULT_PATH_TEMPLATE: Final = "{stream}/dt={date}/part-{run_id}-{part}.{ext}"
MiB: Final = 1024 * 1024

_INT = {"type": ["integer", "null"]}
_STR = {"type": ["string", "null"]}


def _listed(items: Sequence[str], last: str = "or") -> str:
    return ", ".join(items[:-1]) + f" {last} {items[-1]}" if len(items) > 1 else "".join(items)


def _format_settings() -> dict[str, dict[str, Any]]:
    """``format``, ``compression`` and ``compression_level``, from :data:`FORMATS`."""
    whole_file: dict[tuple[str, ...], list[str]] = {}  # formats by their codecs
    in_format = []
    for spec in FORMATS.values():
        if spec.compression == "whole-file":
            whole_file.setdefault(spec.codecs, []).append(spec.name)
        else:
            in_format.append(f"{spec.name}: the codec inside the file, {_codecs(spec.codecs)}.")
    compression = [
        f"{_listed(names, 'and')}: {_codecs(codecs)}, for the whole file "
        f"({'/'.join(FILE_CODECS[c] for c in codecs if FILE_CODECS[c])} is added to the "
        "extension)."
        for codecs, names in whole_file.items()
    ]
    levels = ", ".join(f"{codec} {level}" for codec, level in DEFAULT_LEVELS.items())
    return {
        "format": {
            **_STR,
            "enum": [*FORMATS, None],
            "default": next(iter(FORMATS)),
            "description": " ".join(
                ["File format.", *(f"{s.name}: {s.description}" for s in FORMATS.values())]
            ),
        },
        "compression": {
            **_STR,
            "enum": [*all_codecs(), None],
            "description": " ".join([*compression, *in_format]),
        },
        "compression_level": {
            **_INT,
            "description": (
                f"Codec level; unset uses the codec's usual default ({levels}). Lower is "
                "faster, higher is smaller."
            ),
        },
    }


def _codecs(codecs: Sequence[str]) -> str:
    return _listed([f"{codecs[0]} (default)", *codecs[1:]])


def lake_settings() -> dict[str, dict[str, Any]]:
    """The lake settings' JSON-Schema properties, with the formats :data:`FORMATS` holds
    now (:data:`LAKE_SETTINGS` is this, taken when the module is imported)."""
    return {**_format_settings(), **_OTHER_SETTINGS}


_OTHER_SETTINGS: Final[dict[str, dict[str, Any]]] = {
    "prefix": {
        **_STR,
        "default": "",
        "description": (
            "Key prefix inside the bucket/container/folder; every file and manifest of the "
            "target is written under it. Must not contain '..' segments."
        ),
    },
    "path_template": {
        **_STR,
        "default": DEFAULT_PATH_TEMPLATE,
        "description": (
            "Key of each file under prefix. Placeholders: {stream} (sanitised: see the "
            "README), {date} (YYYY-MM-DD), {year}, {month}, {day}, {run_id}, {part} "
            "(00000, 00001, … per stream and run), {ext} (jsonl.gz, csv.zst, parquet, …). "
            "{stream}, {run_id} and {part} are required so no two files of any run collide. "
            "The date is the run's start (UTC) unless date_field is set."
        ),
    },
    "date_field": {
        **_STR,
        "description": (
            "Record property (a date-time or date string) whose UTC date fills {date}, "
            "{year}, {month} and {day}, so a stream spreads over several partitions. "
            "Records without a value go to the __HIVE_DEFAULT_PARTITION__ partition."
        ),
    },
    "max_rows": {
        **_INT,
        "default": 1_000_000,
        "minimum": 1,
        "description": "A file is committed and the next part started after this many rows.",
    },
    "max_bytes": {
        **_INT,
        "default": 256 * MiB,
        "minimum": 1,
        "description": (
            "A file is committed and the next part started once this many bytes (as stored, "
            "after compression) are written; checked each time a buffer is written, so a "
            "file may exceed it by up to one compressed buffer."
        ),
    },
    "buffer_size": {
        **_INT,
        "default": 8 * MiB,
        "minimum": 1024,
        "description": (
            "Bytes of records (as JSON) held per open file before they are encoded, "
            "compressed and handed to the upload: jsonl sends chunks of this size, csv and "
            "parquet convert each buffer to typed columns (parquet: one row group). Memory "
            "is about max_open_files × buffer_size (×2 for csv and parquet), whatever the "
            "row count."
        ),
    },
    "max_open_files": {
        **_INT,
        "default": 8,
        "minimum": 1,
        "description": (
            "Files open at once over all streams and partitions; opening one more commits "
            "the one opened longest ago (its partition continues in a new part)."
        ),
    },
    "commit_interval_seconds": {
        "type": ["number", "null"],
        "default": 300,
        "minimum": 0,
        "description": (
            "Longest a STATE waits for its files. A STATE is emitted only once every file "
            "holding records received before it is committed; files commit on rotation, at "
            "the end of the input, or when a STATE arrives and the oldest open file is older "
            "than this (all open files are then committed and continue in new parts). 0 "
            "commits at every STATE (many small files)."
        ),
    },
    "parquet_number": {
        **_STR,
        "enum": ["double", "decimal", None],
        "default": "double",
        "description": (
            "Parquet type of JSON Schema 'number'. double: float64 (a value is rounded to "
            "the nearest double; one beyond a double's range, which would become 0 or "
            "infinity, is an error). decimal: decimal128(38, scale), scale from the "
            "property's multipleOf or decimal_scale; a value that does not fit is an error, "
            "never rounded."
        ),
    },
    "decimal_scale": {
        **_INT,
        "default": 9,
        "minimum": 0,
        "maximum": 38,
        "description": "Digits after the point of decimal numbers without multipleOf.",
    },
    "nested": {
        **_STR,
        "enum": ["json", "struct", None],
        "default": "json",
        "description": (
            "Parquet type of objects and arrays. json: a string column holding the JSON "
            "text of each value, whatever its kind (a string with its quotes; keeps "
            "everything). struct: struct/list columns from the SCHEMA's properties and items "
            "(a key the SCHEMA does not declare, or a value that is no object/array, is an "
            "error); objects without properties and arrays without items stay JSON text."
        ),
    },
}

LAKE_SETTINGS: Final = lake_settings()


def config_schema(store_settings: Mapping[str, Any]) -> dict[str, Any]:
    """The target's full config JSON Schema: its store's settings, then the lake's."""
    lake = lake_settings()
    clash = set(store_settings) & set(lake)
    if clash:
        raise TypeError(f"store_settings redefine lake settings: {sorted(clash)}")
    properties = copy.deepcopy(dict(store_settings))
    properties.update(copy.deepcopy(lake))
    required = [name for name, spec in store_settings.items() if spec.get("required") is True]
    for spec in properties.values():
        spec.pop("required", None)
    return {"type": "object", "properties": properties, "required": required}


def secret_settings(schema: Mapping[str, Any]) -> frozenset[str]:
    """Names of the settings marked secret (never logged, never in a manifest)."""
    return frozenset(
        name
        for name, spec in schema.get("properties", {}).items()
        if spec.get("secret") or spec.get("writeOnly")
    )


@dataclass(frozen=True, slots=True)
class LakeSettings:
    """The lake settings, checked, with defaults applied."""

    format: str
    compression: str
    compression_level: int | None
    prefix: str
    path_template: str
    date_field: str | None
    max_rows: int
    max_bytes: int
    buffer_size: int
    max_open_files: int
    commit_interval_seconds: float
    parquet_number: str
    decimal_scale: int
    nested: str

    @property
    def extension(self) -> str:
        """``{ext}``: the format's extension, plus the codec's suffix when the codec
        compresses the whole file (``jsonl.gz``; ``parquet`` compresses inside)."""
        return FORMATS[self.format].file_extension(self.compression)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LakeSettings:
        """Read and check the lake settings of a target's config.

        Raises ConfigError naming the setting when a value is out of range or a codec does
        not fit the format (singer-sdk has already checked types and enums).
        """

        def get(name: str) -> Any:
            value = config.get(name)
            return LAKE_SETTINGS[name].get("default") if value is None else value

        fmt = get("format")
        spec = FORMATS.get(fmt)
        if spec is None:
            raise _error("format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
        compression = config.get("compression") or spec.default_codec
        if compression not in spec.codecs:
            raise _error(
                "compression",
                f"{compression!r} does not apply to {fmt}; use one of {', '.join(spec.codecs)}",
            )
        level = config.get("compression_level")
        if level is not None and compression in LEVELLESS_CODECS:
            raise _error("compression_level", f"{compression} has no levels")
        settings = cls(
            format=fmt,
            compression=compression,
            compression_level=level,
            prefix=_prefix(get("prefix")),
            path_template=get("path_template"),
            date_field=config.get("date_field") or None,
            max_rows=int(get("max_rows")),
            max_bytes=int(get("max_bytes")),
            buffer_size=int(get("buffer_size")),
            max_open_files=int(get("max_open_files")),
            commit_interval_seconds=float(get("commit_interval_seconds")),
            parquet_number=get("parquet_number"),
            decimal_scale=int(get("decimal_scale")),
            nested=get("nested"),
        )
        for name in ("max_rows", "max_bytes", "buffer_size", "max_open_files"):
            minimum = LAKE_SETTINGS[name]["minimum"]
            if getattr(settings, name) < minimum:
                raise _error(name, f"must be at least {minimum}")
        if settings.commit_interval_seconds < 0:
            raise _error("commit_interval_seconds", "must be at least 0")
        if not 0 <= settings.decimal_scale <= 38:
            raise _error("decimal_scale", "must be between 0 and 38")
        return settings


def _prefix(value: str) -> str:
    parts = [p for p in value.replace("\\", "/").split("/") if p]
    if any(p in (".", "..") or "\0" in p for p in parts):
        raise _error("prefix", f"must not contain '.', '..' or NUL segments, got {value!r}")
    return "/".join(parts)


def _error(setting: str, problem: str) -> ConfigError:
    return ConfigError(
        f"setting {setting!r} {problem}",
        where="lake target config",
        hint="see the settings listed by --about",
    )
