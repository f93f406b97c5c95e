"""What singer-sdk's per-record deselection and conformance would leave of a page's records.

The SDK copies every record, pops deselected properties and drops properties its schema does
not know (with a warning), one record and one property at a time. :class:`RecordShape` does
the same for a whole page: one C-level union of the page's keys says whether any record
carries a property to drop, and only then are the records rebuilt. Values are passed as the
API sent them: they come from JSON, so they already are Singer's types. (The SDK's
conformance would turn a boolean property's ``"false"`` into ``true``; a target sees the
value itself here.)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["RecordShape"]


class RecordShape:
    """Projects records of one stream onto its selected, known properties."""

    def __init__(
        self,
        stream_name: str,
        schema: Mapping[str, Any],
        mask: Mapping[tuple[str, ...], bool],
        logger: logging.Logger,
    ) -> None:
        properties = list(schema.get("properties") or {})
        self.stream_name = stream_name
        self.keep = [name for name in properties if mask.get(("properties", name), True)]
        self.known = frozenset(properties)
        self.deselected = len(self.keep) < len(properties)
        self.logger = logger
        self._warned: set[str] = set()

    def apply(
        self, records: Sequence[dict[str, Any]], context: Mapping[str, Any] | None = None
    ) -> Sequence[dict[str, Any]]:
        """``records`` with the partition ``context`` added and what the SDK drops dropped."""
        if context:
            for record in records:
                for key, value in context.items():
                    record.setdefault(key, value)
        if not self.deselected:
            unknown = set().union(*records) - self.known
            if not unknown:
                return records
            self._warn(unknown)
        keep = self.keep
        return [{name: record[name] for name in keep if name in record} for record in records]

    def _warn(self, unknown: set[str]) -> None:
        new = sorted(unknown - self._warned)
        if new:
            self._warned.update(new)
            self.logger.warning(
                "Properties %s of stream %r are not in its schema and are not sent; "
                "add them to the stream's schema (or discover again) to keep them",
                new,
                self.stream_name,
            )
