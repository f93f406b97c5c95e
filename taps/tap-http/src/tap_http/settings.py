"""The validated shape of a tap-http configuration: one :class:`StreamSettings` per stream.

singer-sdk validates the JSON Schema (types, allowed values); this module adds the rules a
schema cannot say — a stream's ``parent`` must exist, names must be unique — and merges the
top-level ``pagination`` default into each stream (each pagination style checks its own
settings: :mod:`tap_http.pagination`), so the rest of the tap reads plain attributes
instead of nested dicts.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from elt.errors import ConfigError
from tap_http.pagination import PaginationSettings, pagination_settings
from tap_http.windows import parse_width

__all__ = ["StreamSettings", "load_streams", "path_fields"]


@dataclass(frozen=True)
class StreamSettings:
    """One configured stream."""

    name: str
    path: str
    method: str = "GET"
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    records_path: str = "$[*]"
    response_format: str = "auto"
    primary_keys: tuple[str, ...] = ()
    replication_key: str | None = None
    bookmark_param: str | None = None
    resend_bookmarked: bool = False
    is_sorted: bool | None = None
    schema: dict[str, Any] | None = None
    pagination: PaginationSettings = field(default_factory=PaginationSettings)
    parent: str | None = None
    parent_keys: dict[str, str] = field(default_factory=dict)
    #: the width of the date windows ``--partitions`` cuts (:mod:`tap_http.windows`)
    partition_window: timedelta | None = None
    partition_end_param: str | None = None


def path_fields(path: str) -> list[str]:
    """The ``{placeholder}`` names in a stream path, filled from its parent's records."""
    return [name for _, name, _, _ in string.Formatter().parse(path) if name]


def load_streams(config: Mapping[str, Any]) -> list[StreamSettings]:
    """The configured streams, parents before their children."""
    default = pagination_settings(config.get("pagination"), PaginationSettings(), "pagination")
    streams: dict[str, StreamSettings] = {}
    for index, raw in enumerate(config.get("streams") or []):
        where = f"streams[{index}]"
        name = raw.get("name")
        if not name or not raw.get("path"):
            raise ConfigError("every stream needs a name and a path", where=where)
        if name in streams:
            raise ConfigError(f"stream name {name!r} is used twice", where=where)
        streams[name] = StreamSettings(
            name=name,
            path=raw["path"],
            method=str(raw.get("method") or "GET").upper(),
            params=dict(raw.get("params") or {}),
            headers=dict(raw.get("headers") or {}),
            body=raw.get("body"),
            records_path=raw.get("records_path") or "$[*]",
            response_format=raw.get("response_format") or "auto",
            primary_keys=tuple(raw.get("primary_keys") or ()),
            replication_key=raw.get("replication_key"),
            bookmark_param=raw.get("bookmark_param"),
            resend_bookmarked=bool(raw.get("resend_bookmarked", False)),
            is_sorted=raw.get("is_sorted"),
            schema=raw.get("schema"),
            pagination=pagination_settings(raw.get("pagination"), default, f"{where}.pagination"),
            parent=raw.get("parent"),
            parent_keys=dict(raw.get("parent_keys") or {}),
            partition_window=_window(raw, where),
            partition_end_param=raw.get("partition_end_param"),
        )
        if raw.get("bookmark_param") and "{bookmark}" not in raw["bookmark_param"]:
            raise ConfigError(
                "bookmark_param must be a template such as 'updated_since={bookmark}'",
                where=f"{where}.bookmark_param",
            )
    if not streams:
        raise ConfigError("no streams configured", where="streams", hint="Add at least one.")
    return _parents_first(streams)


def _window(raw: Mapping[str, Any], where: str) -> timedelta | None:
    """``partition_window``, checked with what a window read needs: both ends of the range
    as params, and a replication key to keep each record in one window."""
    window, end = raw.get("partition_window"), raw.get("partition_end_param")
    if window is None and end is None:
        return None
    if window is None:
        raise ConfigError("partition_end_param needs partition_window", where=f"{where}")
    width = parse_width(window, f"{where}.partition_window")
    if not isinstance(end, str) or "{end}" not in end:
        raise ConfigError(
            "partition_window needs partition_end_param, a template such as "
            "'updated_before={end}' sending the window's end",
            where=f"{where}.partition_end_param",
        )
    if not raw.get("replication_key") or not raw.get("bookmark_param"):
        raise ConfigError(
            "partition_window needs replication_key and bookmark_param (the window's start)",
            where=f"{where}.partition_window",
        )
    return width


def _parents_first(streams: dict[str, StreamSettings]) -> list[StreamSettings]:
    ordered: list[StreamSettings] = []
    placed: set[str] = set()

    def place(stream: StreamSettings, chain: tuple[str, ...]) -> None:
        if stream.name in placed:
            return
        if stream.parent is not None:
            if stream.parent not in streams:
                raise ConfigError(
                    f"parent stream {stream.parent!r} is not configured",
                    where=f"stream {stream.name!r}",
                )
            if stream.parent in chain:
                raise ConfigError(
                    f"parent streams form a cycle: {' -> '.join((*chain, stream.parent))}",
                    where=f"stream {stream.name!r}",
                )
            place(streams[stream.parent], (*chain, stream.parent))
        placed.add(stream.name)
        ordered.append(stream)

    for stream in streams.values():
        place(stream, (stream.name,))
    return ordered
