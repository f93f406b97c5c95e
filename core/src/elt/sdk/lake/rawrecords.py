"""RECORD lines from elt's own taps typed into Arrow columns with no Python step per record.

A Parquet file's records otherwise cost three Python steps each: the reader's ``orjson``
parse, the encoder's ``orjson`` dump into its buffer, and a dict lookup or two between.
Lines that elt's writers produced (``{"type":"RECORD","stream":…,"record":{…}}``, routed
unparsed by :attr:`elt.protocol.MessageReader.raw_records`) go into the buffer as they are,
and pyarrow's multi-threaded JSON reader parses a whole buffer of them against the schema
``{type, stream, record: struct<columns>, version, time_extracted}``, off the writer's
thread; the ``record`` column, flattened, is the table.

Whatever pyarrow refuses — a malformed line, a property the SCHEMA does not declare, a value
of the wrong type, a missing key property — sends the buffer through :func:`records_of`,
which checks each line as the message reader would (naming the input line) and hands the
records to the exact converter, which names the property.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from elt.errors import ProtocolError
from elt.protocol import repeated_key
from elt.sdk.lake.badinput import location, missing_key

__all__ = ["line_schema", "record_table", "records_of"]


def line_schema(record_fields: Sequence[Any]) -> Any:
    """The Arrow schema of a whole RECORD line whose record has ``record_fields``."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("type", pa.string()),
            pa.field("stream", pa.string()),
            pa.field("record", pa.struct(list(record_fields))),
            pa.field("version", pa.int64()),
            pa.field("time_extracted", pa.string()),
        ]
    )


def record_table(data: bytes | bytearray, options: Any, keys: Sequence[str]) -> Any | None:
    """The records of raw RECORD lines as a table; None when pyarrow cannot be trusted with
    them (see the module docstring) and the lines must be read one by one."""
    import pyarrow as pa
    from pyarrow import json as pa_json

    if not data.isascii():
        try:  # pyarrow takes bytes that are not UTF-8 into a string column as they are
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        lines = pa_json.read_json(
            pa.py_buffer(data),
            read_options=pa_json.ReadOptions(block_size=max(1 << 20, len(data) // 2 + 1)),
            parse_options=options,
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    records = lines.column("record")
    if records.null_count or lines.column("type").null_count:
        return None
    kinds = lines.column("type").unique().to_pylist()
    if kinds != ["RECORD"]:
        return None
    fields = records.type
    table = pa.table(
        records.flatten(), names=[fields.field(i).name for i in range(fields.num_fields)]
    )
    if any(table.column(key).null_count for key in keys):
        return None  # a key may be missing: the exact path says which line
    return table


def records_of(
    data: bytes | bytearray, lines: array[int], keys: Sequence[str], source: str, stream: str
) -> list[dict[str, Any]]:
    """Each raw line parsed exactly and checked as the message reader and the writer would."""
    records = []
    for text, number in zip(data.splitlines(), lines, strict=True):
        where = location(source, number, stream)
        try:
            message = json.loads(bytes(text), parse_float=Decimal, parse_constant=_refuse)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ProtocolError(
                f"not valid JSON ({exc})", where=where, hint="each line must be one Singer message"
            ) from None
        except RecursionError:
            raise ProtocolError(
                "the message is nested more than 1,024 levels deep", where=where
            ) from None
        if isinstance(message, dict) and (key := repeated_key(bytes(text), message)):
            raise ProtocolError(
                f'the key "{key}" appears more than once in this message; JSON does not say '
                "which one counts",
                where=where,
            )
        record = message.get("record") if isinstance(message, dict) else None
        if not isinstance(record, dict) or message.get("type") != "RECORD":
            raise ProtocolError('a RECORD message must have a "record" object', where=where)
        for key in keys:
            if key not in record:
                raise missing_key(where, key, keys)
        records.append(record)
    return records


def _refuse(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a JSON value", name, 0)
