"""MeltanoLabs' settings that decide what a stream reads, checked before anything is read.

``max_record_count`` caps the rows each stream sends per run; ``default_replication_method``
is a stream's method when the catalog names none; ``stream_options.<stream>
.custom_where_clauses`` are SQL conditions a stream's rows must meet, and
``stream_options.<stream>.partitions`` / ``partition_rows`` how ``--partitions`` cuts it
(:mod:`tap_postgres.partitions`). Each wrong value is a
:class:`~elt.errors.ConfigError` naming the setting — a typo in a stream name would
otherwise read every row of the stream without a word. LOG_BASED replication, and
MeltanoLabs' settings that only serve it, are refused: this tap does not read the WAL.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final

from elt.errors import ConfigError

__all__ = [
    "LOG_BASED_REFUSAL",
    "REPLICATION_METHODS",
    "StreamOptions",
    "check_default_method",
    "chosen_methods",
    "max_record_count",
    "stream_options",
]

REPLICATION_METHODS: Final = ("FULL_TABLE", "INCREMENTAL")
LOG_BASED_REFUSAL: Final = (
    "log-based replication (LOG_BASED) is not implemented in this tap-postgres; use "
    "INCREMENTAL with a replication-key (new and changed rows; deletes are not seen) or "
    "FULL_TABLE, whose ACTIVATE_VERSION lets the target retire deleted rows"
)
_CLAUSES: Final = "custom_where_clauses"
_PARTITIONS: Final = "partitions"
_PARTITION_ROWS: Final = "partition_rows"
_KEYS: Final = frozenset((_CLAUSES, _PARTITIONS, _PARTITION_ROWS))


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """One stream's ``stream_options`` entry, checked."""

    clauses: tuple[str, ...] = ()
    #: how many key ranges ``--partitions`` plans, or None
    partitions: int | None = None
    #: about how many rows each planned key range holds, or None
    partition_rows: int | None = None


def check_default_method(config: Mapping[str, Any]) -> None:
    """Refuse ``default_replication_method: LOG_BASED`` with what to use instead."""
    if config.get("default_replication_method") == "LOG_BASED":
        raise ConfigError(
            "LOG_BASED is not supported", where="default_replication_method", hint=LOG_BASED_REFUSAL
        )


def chosen_methods(catalog: Any) -> dict[str, str]:
    """Each stream's Singer ``replication-method`` metadata in a catalog given as a dict
    (singer-sdk drops that key when it parses a catalog)."""
    if not isinstance(catalog, Mapping):
        return {}
    chosen: dict[str, str] = {}
    for stream in catalog.get("streams") or []:
        if not isinstance(stream, Mapping):
            continue
        for entry in stream.get("metadata") or []:
            if isinstance(entry, Mapping) and entry.get("breadcrumb") == []:
                method = (entry.get("metadata") or {}).get("replication-method")
                if isinstance(method, str) and method:
                    chosen[str(stream.get("tap_stream_id"))] = method
    return chosen


def max_record_count(config: Mapping[str, Any]) -> int | None:
    """Rows a stream may send per run; None for no limit (unset, or 0 as in MeltanoLabs')."""
    value = config.get("max_record_count")
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"expected a positive integer, got {value!r}", where="max_record_count")
    return value


def stream_options(config: Mapping[str, Any], streams: Collection[str]) -> dict[str, StreamOptions]:
    """Each stream's ``stream_options`` entry; an entry naming no stream of the tap
    (``streams``: ``schema-table`` ids) or holding anything else is an error."""
    options = config.get("stream_options")
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise ConfigError(
            'expected an object like {"public-orders": {"custom_where_clauses": ["amount > 0"]}}',
            where="stream_options",
        )
    checked: dict[str, StreamOptions] = {}
    for stream, entry in options.items():
        where = f"stream_options.{stream}"
        if stream not in streams:
            close = difflib.get_close_matches(stream, list(streams), n=1)
            raise ConfigError(
                f"there is no stream {stream!r}"
                + (f" (did you mean {close[0]!r}?)" if close else ""),
                where=where,
                hint="stream ids are schema-table, as --discover lists them; filter_schemas and "
                "tables may leave the table out",
            )
        if not isinstance(entry, Mapping) or set(entry) - _KEYS:
            raise ConfigError(
                f"expected an object with {', '.join(sorted(_KEYS))} only", where=where
            )
        listed = entry.get(_CLAUSES) or []
        if not isinstance(listed, list) or not all(
            isinstance(c, str) and c.strip() for c in listed
        ):
            raise ConfigError(
                "expected a list of SQL conditions, like [\"status = 'paid'\"]",
                where=f"{where}.{_CLAUSES}",
            )
        partitions = _positive(entry, _PARTITIONS, where)
        partition_rows = _positive(entry, _PARTITION_ROWS, where)
        if partitions is not None and partition_rows is not None:
            raise ConfigError(
                f"set {_PARTITIONS} or {_PARTITION_ROWS}, not both",
                where=f"{where}.{_PARTITION_ROWS}",
            )
        checked[stream] = StreamOptions(
            tuple(c.strip() for c in listed), partitions, partition_rows
        )
    return checked


def _positive(entry: Mapping[str, Any], name: str, where: str) -> int | None:
    value = entry.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"expected a positive integer, got {value!r}", where=f"{where}.{name}")
    return value
