"""The five Singer message types, as the wire carries them and as code builds them.

On the hot path a message stays the ``dict`` orjson parsed: wrapping a million RECORD lines
in objects costs more than parsing them. The dataclasses here are for code that builds
messages (taps, tests) or wants typed access to the rarer ones (SCHEMA, STATE, BATCH);
``to_dict``/``from_dict`` convert both ways without copying the record payload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal, TypeAlias

import orjson

RECORD: Final = "RECORD"
SCHEMA: Final = "SCHEMA"
STATE: Final = "STATE"
ACTIVATE_VERSION: Final = "ACTIVATE_VERSION"
BATCH: Final = "BATCH"

MESSAGE_TYPES: Final = (RECORD, SCHEMA, STATE, ACTIVATE_VERSION, BATCH)

# The keys each type must carry and the JSON type of each, checked by the reader. Optional
# keys (version, time_extracted, key_properties, bookmark_properties) are not listed.
REQUIRED_KEYS: Final[Mapping[str, tuple[tuple[str, type, str], ...]]] = {
    RECORD: (("stream", str, "a string"), ("record", dict, "an object")),
    SCHEMA: (("stream", str, "a string"), ("schema", dict, "an object")),
    STATE: (("value", dict, "an object"),),
    ACTIVATE_VERSION: (("stream", str, "a string"), ("version", int, "an integer")),
    BATCH: (
        ("stream", str, "a string"),
        ("encoding", dict, "an object"),
        ("manifest", list, "an array"),
    ),
}


@dataclass(slots=True)
class RecordMessage:
    """One row of a stream."""

    stream: str
    record: dict[str, Any]
    version: int | None = None
    time_extracted: datetime | None = None
    type: Literal["RECORD"] = field(default=RECORD, init=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": RECORD, "stream": self.stream, "record": self.record}
        if self.version is not None:
            out["version"] = self.version
        if self.time_extracted is not None:
            out["time_extracted"] = self.time_extracted
        return out


@dataclass(slots=True)
class SchemaMessage:
    """The JSON Schema of a stream's records, its primary key and its bookmark columns."""

    stream: str
    schema: dict[str, Any]
    key_properties: list[str] = field(default_factory=list)
    bookmark_properties: list[str] | None = None
    type: Literal["SCHEMA"] = field(default=SCHEMA, init=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": SCHEMA,
            "stream": self.stream,
            "schema": self.schema,
            "key_properties": self.key_properties,
        }
        if self.bookmark_properties is not None:
            out["bookmark_properties"] = self.bookmark_properties
        return out


@dataclass(slots=True)
class StateMessage:
    """A bookmark: everything emitted before it may be considered done."""

    value: dict[str, Any]
    type: Literal["STATE"] = field(default=STATE, init=False)

    def to_dict(self) -> dict[str, Any]:
        return {"type": STATE, "value": self.value}


@dataclass(slots=True)
class ActivateVersionMessage:
    """Full-table replace: rows of older versions of the stream are to be removed."""

    stream: str
    version: int
    type: Literal["ACTIVATE_VERSION"] = field(default=ACTIVATE_VERSION, init=False)

    def to_dict(self) -> dict[str, Any]:
        return {"type": ACTIVATE_VERSION, "stream": self.stream, "version": self.version}


@dataclass(slots=True)
class BatchMessage:
    """Records delivered as files (``manifest`` lists their URLs) instead of RECORD lines."""

    stream: str
    encoding: dict[str, Any]
    manifest: list[str]
    type: Literal["BATCH"] = field(default=BATCH, init=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": BATCH,
            "stream": self.stream,
            "encoding": self.encoding,
            "manifest": self.manifest,
        }


Message: TypeAlias = (
    RecordMessage | SchemaMessage | StateMessage | ActivateVersionMessage | BatchMessage
)


def message_from_dict(data: Mapping[str, Any]) -> Message:
    """Build the typed message for a dict the reader has already checked.

    ``time_extracted`` stays a string here: parsing dates is the consumer's choice.
    """
    kind = data["type"]
    if kind == RECORD:
        return RecordMessage(data["stream"], data["record"], data.get("version"))
    if kind == SCHEMA:
        return SchemaMessage(
            data["stream"],
            data["schema"],
            list(data.get("key_properties") or []),
            _optional_list(data.get("bookmark_properties")),
        )
    if kind == STATE:
        return StateMessage(data["value"])
    if kind == ACTIVATE_VERSION:
        return ActivateVersionMessage(data["stream"], data["version"])
    if kind == BATCH:
        return BatchMessage(data["stream"], data["encoding"], list(data["manifest"]))
    raise ValueError(f"unknown Singer message type {kind!r}")


def _optional_list(value: str | Sequence[str] | None) -> list[str] | None:
    """Singer allows ``bookmark_properties`` as one string or a list of strings."""
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


# How elt's writers start every RECORD line; readers may route lines by it, unparsed.
RECORD_HEAD: Final = b'{"type":"RECORD","stream":'


def record_line_prefix(stream: str) -> bytes:
    """The bytes elt's writers start each RECORD line of ``stream`` with, up to the record."""
    return RECORD_HEAD + orjson.dumps(stream) + b',"record":'
