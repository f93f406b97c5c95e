"""Postgres names for Singer streams and properties: always quoted, never longer than 63 bytes.

Names are kept exactly as the tap sends them (capitals, spaces, quotes, SQL keywords and all)
and always double-quoted, so ``clientName`` stays ``"clientName"`` and two properties that
differ only in case or punctuation never collide, as they would if names were folded to
snake_case. The price is quoting mixed-case names in SQL.

Postgres truncates identifiers at 63 bytes, which would silently merge two long names that
share a prefix. A longer name is therefore shortened deterministically: its first bytes (cut
on a character boundary) plus ``_`` and eight hex digits of its SHA-256, so every run maps a
name to the same column. Each shortening is logged once per process.

Stream names follow the singer-sdk convention ``<schema>-<table>`` (what database taps send,
e.g. ``public-users``): the part after the last ``-`` is the table and the part before it the
schema, unless ``default_target_schema`` is set, which wins. A name with more than one ``-``
(``db-schema-table``) uses its last two parts. Streams that map to the same table are an
error (see :mod:`target_postgres.loader`), never a silent merge.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Final

from elt.errors import ProtocolError

__all__ = ["MAX_IDENTIFIER_BYTES", "TableName", "pg_name", "quote", "table_for_stream"]

MAX_IDENTIFIER_BYTES: Final = 63
DEFAULT_SCHEMA: Final = "public"
_HASH_CHARS: Final = 8

logger = logging.getLogger(__name__)
_logged: set[tuple[str, str]] = set()


def quote(name: str) -> str:
    """``name`` as a quoted SQL identifier: wrapped in ``"``, inner quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def pg_name(name: str, kind: str, where: str | None = None) -> str:
    """The identifier Postgres will store for ``name`` (a ``kind`` such as ``column``).

    Names up to 63 bytes are returned unchanged. Longer ones become a prefix plus a hash
    of the whole name; the mapping is logged once so a user can find the column. An empty
    name, or one with a NUL character, cannot be stored: a :class:`ProtocolError` located
    by ``where`` (which names it, so the message does not).
    """
    if not name or "\x00" in name:
        problem = "is empty" if not name else "contains a NUL character"
        raise ProtocolError(
            f"the {kind} name {problem}, which Postgres cannot store",
            where=where or f"{kind} {name!r}",
            hint="rename it in the tap (its catalog, a stream map or its source)",
        )
    encoded = name.encode("utf-8")
    if len(encoded) <= MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha256(encoded).hexdigest()[:_HASH_CHARS]
    prefix = encoded[: MAX_IDENTIFIER_BYTES - _HASH_CHARS - 1].decode("utf-8", "ignore")
    short = f"{prefix}_{digest}"
    if (kind, name) not in _logged:
        _logged.add((kind, name))
        logger.info(
            "%s name is longer than %d bytes, stored as %s: %s",
            kind.capitalize(),
            MAX_IDENTIFIER_BYTES,
            quote(short),
            name,
        )
    return short


@dataclass(frozen=True, slots=True)
class TableName:
    """A schema-qualified table, as stored in the catalog (already shortened)."""

    schema: str
    table: str

    def sql(self) -> str:
        return f"{quote(self.schema)}.{quote(self.table)}"

    def __str__(self) -> str:
        return f"{self.schema}.{self.table}"


def table_for_stream(
    stream: str, default_schema: str | None, where: str | None = None
) -> TableName:
    """The table a stream loads into; see the module docstring for the naming rule.

    ``where`` locates the stream in errors (a name Postgres cannot store).
    """
    parts = stream.split("-")
    if len(parts) > 1 and all(parts[-2:]):
        schema, table = parts[-2], parts[-1]
    else:
        schema, table = DEFAULT_SCHEMA, stream
    if default_schema:
        schema = default_schema
    return TableName(pg_name(schema, "schema", where), pg_name(table, "table", where))
