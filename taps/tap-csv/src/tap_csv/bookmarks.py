"""A stream's bookmark: which files were read as they are now, and the replication key's mark.

Kept in the stream's Singer state (``bookmarks.<stream>``) next to singer-sdk's keys::

    {"replication_key": "updated_at",
     "replication_key_value": "2026-03-01T10:00:00Z",
     "files": {"data/a.csv": {"mtime_ns": 1767225600000000000, "size": 52011}}}

**Files.** A file whose modification time and size both match its entry is skipped: it was
read completely, and every record of it was emitted before the STATE holding the entry. An
entry is written after the last record of its file, so a crash mid-file re-reads that file
(duplicates that a target with keys upserts, never a gap). Entries of files that are gone
are dropped at the end of the stream, so the state does not grow without bound.

**Replication key.** Rows whose key is *below* the mark are skipped; rows *equal* to it are
read again. Skipping equal rows too would lose rows added later with the same key (two rows
updated in the same second, a daily file appended to on the same date), and losing data is
the one thing this tap must not do; a target with key properties upserts the re-read rows.
Rows with a null key are always emitted. Because files are not sorted by the key, the mark
only moves at the end of the stream, to the highest key emitted; a run that dies before that
keeps the old mark. Keys are compared as their column's kind (integers as integers, date-times
as instants with naive values taken as UTC), never as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

from elt.errors import ConfigError
from tap_csv.columns import Encoding, Kind, Nulls, convert
from tap_csv.files import SourceFile

__all__ = ["Bookmarks", "comparable"]

_NO_NULLS = Nulls(())


def comparable(kind: Kind, value: Any) -> Any:
    """``value`` (as :func:`tap_csv.columns.convert` gives it) in a form that orders right."""
    if kind is Kind.DATE:
        return date.fromisoformat(value)
    if kind is Kind.DATE_TIME:
        instant = datetime.fromisoformat(value)
        return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
    return value


class Bookmarks:
    """Reads a stream's bookmark from its state dict and updates it in place."""

    def __init__(
        self, state: dict[str, Any], stream: str, replication_key: str | None, kind: Kind | None
    ) -> None:
        self._state = state
        self.stream = stream
        self.replication_key = replication_key
        self.kind = kind
        previous = state.get("files")
        self._files: dict[str, dict[str, int]] = (
            dict(previous) if isinstance(previous, dict) else {}
        )
        self.start: Any = None
        self._best: tuple[Any, Any] | None = None
        if replication_key is not None and kind is not None:
            self.start = self._read_start(replication_key, kind)

    def _read_start(self, key: str, kind: Kind) -> Any:
        value = self._state.get("replication_key_value")
        if self._state.get("replication_key") != key or value is None:
            return None
        parsed = convert(kind, [str(value)], _NO_NULLS, Encoding.PYTHON)
        if parsed is None:
            raise ConfigError(
                f"the state's replication_key_value {value!r} is not a {kind.value} "
                f"like the values of column {key!r}",
                where=f"state bookmarks.{self.stream}",
                hint="Start this stream from an empty state (elt run --full-refresh) "
                "or fix the value in the state",
            )
        self._best = (comparable(kind, parsed[0]), parsed[0])
        return self._best[0]

    def unchanged(self, source: SourceFile) -> bool:
        """Whether ``source`` was read completely as it is now."""
        return self._files.get(source.path) == {"mtime_ns": source.mtime_ns, "size": source.size}

    def file_done(self, source: SourceFile) -> None:
        """Record that every row of ``source`` was emitted."""
        self._files[source.path] = {"mtime_ns": source.mtime_ns, "size": source.size}
        self._state["files"] = dict(self._files)

    def keep(self, keys: Sequence[Any]) -> list[int] | None:
        """Positions of the rows to emit given their key values, or None for all of them.

        Also moves the pending mark to the highest key seen.
        """
        kind = self.kind
        assert kind is not None, "only streams with a replication key filter rows"
        if kind is Kind.DATE or kind is Kind.DATE_TIME:
            order = [None if value is None else comparable(kind, value) for value in keys]
        else:
            order = list(keys)
        present = [(o, value) for o, value in zip(order, keys, strict=True) if o is not None]
        if present:
            best = max(present, key=itemgetter(0))
            if self._best is None or best[0] > self._best[0]:
                self._best = best
        start = self.start
        if start is None:
            return None
        return [i for i, o in enumerate(order) if o is None or o >= start]

    def finish(self, files: Iterable[SourceFile]) -> None:
        """End of the stream: drop entries of files that are gone, and move the mark."""
        present = {source.path for source in files}
        self._state["files"] = {
            path: entry for path, entry in self._files.items() if path in present
        }
        if self.replication_key is not None and self._best is not None:
            self._state["replication_key"] = self.replication_key
            self._state["replication_key_value"] = self._best[1]
