"""The Singer protocol: messages, a fast reader and writer, the catalog, selection, state,
and the contracts between elt's own plugins (:mod:`elt.protocol.csvbatch`,
:mod:`elt.protocol.partitions`).

A leaf layer: it needs the standard library, orjson and ``elt.errors`` (itself a leaf),
nothing else of elt, so anything may build on it.
"""

from __future__ import annotations

from elt.protocol.catalog import Breadcrumb, Catalog, CatalogEntry, property_breadcrumb
from elt.protocol.messages import (
    ACTIVATE_VERSION,
    BATCH,
    MESSAGE_TYPES,
    RECORD,
    SCHEMA,
    STATE,
    ActivateVersionMessage,
    BatchMessage,
    Message,
    RecordMessage,
    SchemaMessage,
    StateMessage,
    message_from_dict,
    record_line_prefix,
)
from elt.protocol.metrics import METRIC_INTERVAL_ENV, METRIC_MARK, MetricPoint, parse_metric
from elt.protocol.partitions import (
    PARTITION_FLAG,
    PARTITIONS,
    PLAN_FLAG,
    PROGRESS_KEY,
    UNIT_ENV,
    PartitionRequest,
    UnitIdentity,
    unit_id,
)
from elt.protocol.reader import (
    DEFAULT_MAX_LINE_BYTES,
    MessageReader,
    loads_exact,
    read_messages,
    repeated_key,
)
from elt.protocol.secrets import REDACTED, is_secret_name, redact_credentials
from elt.protocol.selection import (
    SelectionLine,
    SelectionRule,
    apply_selection,
    explain_selection,
    parse_rules,
)
from elt.protocol.state import clear_stream, get_bookmark, merge_state, set_bookmark
from elt.protocol.summary import StreamSummary, Summary, summarize
from elt.protocol.writer import MessageWriter, dumps, json_default

__all__ = [
    "ACTIVATE_VERSION",
    "BATCH",
    "DEFAULT_MAX_LINE_BYTES",
    "MESSAGE_TYPES",
    "METRIC_INTERVAL_ENV",
    "METRIC_MARK",
    "PARTITIONS",
    "PARTITION_FLAG",
    "PLAN_FLAG",
    "PROGRESS_KEY",
    "RECORD",
    "REDACTED",
    "SCHEMA",
    "STATE",
    "UNIT_ENV",
    "ActivateVersionMessage",
    "BatchMessage",
    "Breadcrumb",
    "Catalog",
    "CatalogEntry",
    "Message",
    "MessageReader",
    "MessageWriter",
    "MetricPoint",
    "PartitionRequest",
    "RecordMessage",
    "SchemaMessage",
    "SelectionLine",
    "SelectionRule",
    "StateMessage",
    "StreamSummary",
    "Summary",
    "UnitIdentity",
    "apply_selection",
    "clear_stream",
    "dumps",
    "explain_selection",
    "get_bookmark",
    "is_secret_name",
    "json_default",
    "loads_exact",
    "merge_state",
    "message_from_dict",
    "parse_metric",
    "parse_rules",
    "property_breadcrumb",
    "read_messages",
    "record_line_prefix",
    "redact_credentials",
    "repeated_key",
    "set_bookmark",
    "summarize",
    "unit_id",
]
