"""What a Singer stream holds: messages per stream and type, schemas, the last state.

This is the check a person runs on a tap's output before pointing a target at it: it reads
the whole stream through :class:`~elt.protocol.reader.MessageReader` (so every malformed
line is reported with its number) and adds the one rule that spans lines, that a RECORD
needs an earlier SCHEMA for its stream.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import IO, Any

from elt.errors import ProtocolError
from elt.protocol.messages import RECORD, SCHEMA, STATE
from elt.protocol.reader import DEFAULT_MAX_LINE_BYTES, MessageReader
from elt.protocol.state import merge_state


@dataclass(slots=True)
class StreamSummary:
    """Counts for one stream of a message stream."""

    name: str
    key_properties: list[str] = field(default_factory=list)
    properties: int = 0
    messages: Counter[str] = field(default_factory=Counter)


@dataclass(slots=True)
class Summary:
    """Everything :func:`summarize` learnt, in the order streams first appeared."""

    lines: int = 0
    streams: dict[str, StreamSummary] = field(default_factory=dict)
    states: int = 0
    last_state: dict[str, Any] | None = None
    merged_state: dict[str, Any] = field(default_factory=dict)

    @property
    def records(self) -> int:
        return sum(s.messages[RECORD] for s in self.streams.values())


def summarize(
    source: IO[bytes] | IO[str],
    *,
    name: str = "<stdin>",
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Summary:
    """Read ``source`` to the end and summarise it; raise ProtocolError at the first bad line."""
    summary = Summary()
    reader = MessageReader(source, name=name, max_line_bytes=max_line_bytes)
    streams = summary.streams
    for message in reader:
        kind = message["type"]
        if kind == STATE:
            summary.states += 1
            summary.last_state = message["value"]
            summary.merged_state = merge_state(summary.merged_state, message["value"])
            continue
        stream = streams.get(message["stream"])
        if kind == SCHEMA:
            if stream is None:
                stream = streams[message["stream"]] = StreamSummary(message["stream"])
            stream.key_properties = list(message.get("key_properties") or [])
            stream.properties = len(message["schema"].get("properties") or {})
        elif stream is None:
            raise ProtocolError(
                f"{kind} for stream {message['stream']!r} comes before any SCHEMA for it",
                where=f"{name} line {reader.line_number}",
                hint="a tap must send a stream's SCHEMA before its first RECORD",
            )
        stream.messages[kind] += 1
    summary.lines = reader.line_number
    return summary
