"""Where a stream's sync starts and how far it got, kept in the stream's Singer state.

INCREMENTAL keeps singer-sdk's keys, ``replication_key`` and ``replication_key_value``
(an integer for integer keys, else the value's text: ISO 8601 date-times, numerics with
every digit), and reads from it inclusively (``>=``).

A FULL_TABLE snapshot of a table with a primary key keeps, while it runs,
``{"snapshot": {"version": V, "after": [key texts]}}``: the table version its records
carry and the last primary key sent before the STATE. A run that stops mid-snapshot is
resumed after that key with the same version, so the target's ACTIVATE_VERSION at the end
keeps the rows of both runs; the entry is removed when the snapshot completes.

A partition read (:class:`PartitionBookmarks`) keeps no progress: a unit that fails is read
again whole, so its state moves once, at its end, to where the stream will be when every
partition is read — the replication key at the plan's ``bound``, or a completed snapshot.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any

from tap_postgres.queries import Bounds
from tap_postgres.types import Column

__all__ = ["Bookmarks", "PartitionBookmarks"]


class Bookmarks:
    """One stream's bookmark: the range a sync starts with, and recording progress."""

    def __init__(
        self, state: MutableMapping[str, Any], keys: Sequence[Column], *, incremental: bool
    ) -> None:
        self._state = state
        self._keys = keys
        self.incremental = incremental

    def start(self) -> Bounds:
        """The range to read: from the replication key bookmark, or after the snapshot's."""
        if self.incremental:
            key = self._keys[0].name
            value = self._state.get("replication_key_value")
            if self._state.get("replication_key") != key or value is None:
                return Bounds()
            return Bounds(lower=[str(value)], inclusive=True)
        snapshot = self._state.get("snapshot")
        if self._keys and isinstance(snapshot, dict) and snapshot.get("after"):
            return Bounds(lower=[str(v) for v in snapshot["after"]])
        return Bounds()

    def resumed_version(self) -> int | None:
        """The table version of a snapshot a previous run did not finish."""
        snapshot = self._state.get("snapshot")
        version = snapshot.get("version") if isinstance(snapshot, dict) else None
        return version if isinstance(version, int) else None

    def begin_snapshot(self, version: int | None) -> None:
        if not self.incremental and self._keys:
            snapshot = self._state.setdefault("snapshot", {})
            snapshot["version"] = version
            snapshot.setdefault("after", None)

    def advance(self, key_texts: Sequence[str]) -> None:
        """Record the key of the last row sent (rows are sent in key order)."""
        if self.incremental:
            column = self._keys[0]
            text = key_texts[0]
            self._state["replication_key"] = column.name
            self._state["replication_key_value"] = int(text) if column.integer else text
        elif self._keys:
            self._state["snapshot"]["after"] = [
                int(t) if c.integer else t for c, t in zip(self._keys, key_texts, strict=True)
            ]

    def finish_snapshot(self) -> None:
        self._state.pop("snapshot", None)


class PartitionBookmarks(Bookmarks):
    """A partition's bookmark: read from its start, recorded only when it is complete."""

    def start(self) -> Bounds:
        return Bounds()

    def resumed_version(self) -> int | None:
        return None

    def begin_snapshot(self, version: int | None) -> None:
        return None

    def advance(self, key_texts: Sequence[str]) -> None:
        return None

    def finish_partition(self, bound: Any) -> None:
        """The stream's state once every partition is read: the replication key at
        ``bound`` (INCREMENTAL), or no snapshot in progress (FULL_TABLE)."""
        if self.incremental:
            self._state["replication_key"] = self._keys[0].name
            self._state["replication_key_value"] = bound
        else:
            self._state.pop("snapshot", None)
