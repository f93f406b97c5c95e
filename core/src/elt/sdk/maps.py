"""Inline stream maps for targets whose lean load path bypasses singer-sdk's sinks.

singer-sdk applies ``stream_maps`` (rename, drop, filter, computed and hashed properties)
and flattening inside ``Target._process_schema_message`` and ``_process_record_message``,
which elt's targets override to reach COPY or the lake writer without the SDK's per-record
costs. :class:`StreamMaps` puts the SDK's own :class:`~singer_sdk.mapper.PluginMapper` (the
target's ``self.mapper``, built from its config) in front of those lean paths: one SCHEMA
in, the mapped SCHEMA(s) out; one RECORD in, zero or more mapped RECORDs out. Expressions,
aliases, ``__source__`` copies, ``__else__``, key properties and schema types are therefore
exactly the SDK's.

A target builds a :class:`StreamMaps` only when :func:`maps_configured` says its config asks
for one, and then wraps its record handler once (:meth:`StreamMaps.records_to`), so a run
without maps pays nothing per record.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from singer_sdk.exceptions import MappingError
from singer_sdk.helpers.capabilities import FLATTENING_CONFIG, STREAM_MAPS_CONFIG
from singer_sdk.mapper import PluginMapper, RemoveRecordTransform, SameRecordTransform, StreamMap

from elt.errors import ConfigError

__all__ = [
    "MAP_SETTINGS",
    "StreamMaps",
    "add_map_settings",
    "mapping_error",
    "maps_are_identity_for",
    "maps_configured",
]

# The settings --about lists for stream maps and flattening: singer-sdk's own definitions.
MAP_SETTINGS: dict[str, Any] = {
    **STREAM_MAPS_CONFIG["properties"],
    **FLATTENING_CONFIG["properties"],
}

Message = dict[str, Any]


def add_map_settings(config_jsonschema: dict[str, Any]) -> None:
    """Add :data:`MAP_SETTINGS` to a target's config schema (a setting already there wins)."""
    properties = config_jsonschema.setdefault("properties", {})
    for name, spec in MAP_SETTINGS.items():
        properties.setdefault(name, copy.deepcopy(spec))


def maps_configured(config: Mapping[str, Any]) -> bool:
    """Whether ``config`` asks for any mapping: a stream map, or flattening."""
    return bool(config.get("stream_maps")) or bool(config.get("flattening_enabled"))


def maps_are_identity_for(maps: Sequence[StreamMap], stream: str) -> bool:
    """Whether ``maps`` send ``stream``'s records on as they are: same name, no flattening."""
    return (
        len(maps) == 1
        and type(maps[0]) is SameRecordTransform
        and maps[0].stream_alias == stream
        and not maps[0].flattening_enabled
    )


def mapping_error(exc: MappingError, stream: str | None = None) -> ConfigError:
    """One paragraph for a stream map singer-sdk rejected, naming the stream and expression.

    The SDK's message names the expression; the evaluator's (its ``__cause__``) says what
    was wrong with it, such as a property name that is not in the record.
    """
    cause = f": {exc.__cause__}" if exc.__cause__ is not None else ""
    return ConfigError(
        f"{str(exc).rstrip('.')}{cause}",
        where=f"stream_maps, stream {stream!r}" if stream is not None else "stream_maps",
        hint="see Stream maps in the plugin's README (an expression names the record's "
        "properties, as in md5(email) or bool(age >= 18))",
    )


class StreamMaps:
    """The mapped SCHEMA, RECORD and ACTIVATE_VERSION messages for a target's lean path.

    Streams no map mentions pass through untouched (the same message object); so do
    messages of a stream whose SCHEMA has not arrived, for the target to report.
    """

    def __init__(self, mapper: PluginMapper) -> None:
        self._mapper = mapper
        # Per stream, the maps whose records go on; None when the stream passes through.
        self._maps: dict[str, tuple[StreamMap, ...] | None] = {}

    def schema(self, message: Message) -> list[Message]:
        """The SCHEMA messages to load for one incoming SCHEMA: one per alias, none if dropped."""
        stream = message["stream"]
        try:
            self._mapper.register_raw_stream_schema(
                stream, message["schema"], message.get("key_properties")
            )
        except MappingError as exc:
            raise mapping_error(exc, stream) from exc
        maps = self._mapper.stream_maps[stream]
        if maps_are_identity_for(maps, stream):
            self._maps[stream] = None
            return [message]
        kept = tuple(m for m in maps if not isinstance(m, RemoveRecordTransform))
        self._maps[stream] = kept
        return [
            {
                **message,
                "stream": m.stream_alias,
                "schema": m.transformed_schema,
                "key_properties": list(m.transformed_key_properties or ()),
            }
            for m in kept
        ]

    def record(self, message: Message) -> list[Message]:
        """The RECORD messages for one incoming RECORD: mapped, renamed, or none if filtered."""
        maps = self._maps.get(message["stream"])
        if maps is None:
            return [message]
        out = []
        for stream_map in maps:
            try:
                record = stream_map.transform(copy.copy(message["record"]))
            except MappingError as exc:
                raise mapping_error(exc, message["stream"]) from exc
            if record is not None:
                out.append({**message, "stream": stream_map.stream_alias, "record": record})
        return out

    def records_to(self, handle: Callable[[Message], None]) -> Callable[[Message], None]:
        """A RECORD handler that maps each record and gives the results to ``handle``."""
        record = self.record

        def mapped(message: Message) -> None:
            for out in record(message):
                handle(out)

        return mapped

    def activate_version(self, message: Message) -> list[Message]:
        """The ACTIVATE_VERSION messages for one incoming: one per alias that keeps records."""
        maps = self._maps.get(message["stream"])
        if maps is None:
            return [message]
        return [{**message, "stream": m.stream_alias} for m in maps]

    def passes_through(self, stream: str) -> bool:
        """Whether ``stream``'s records go on unmapped (for BATCH files loaded as they are)."""
        return self._maps.get(stream) is None
