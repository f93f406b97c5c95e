"""A run's manifest: the one object that says which of a run's files a reader may use.

It lives at ``{prefix}/_manifests/{run_id}.json`` (run ids sort by start time; the leading
``_`` keeps Hive/Spark-style readers from taking the folder for data) and is rewritten whole
(an atomic put) **before every STATE the target emits**, listing every file the run has
committed so far, with ``"status": "partial"``; after the run's last file it is written a
final time with ``"status": "complete"``. So the files a manifest lists are always complete,
and they are exactly the data the emitted bookmark has moved past: a run that fails leaves
a partial manifest covering what its last STATE covered, and the next run resends the rest.
A reader that takes the files of every run's manifest sees each record at least once and
never a half-written file (a record repeats only if the target died between writing a
manifest and its STATE reaching the state store; dedupe on ``key_properties`` for exactly
once). A unit of a split run has a manifest of its own, and the run's manifest lists the
units' (:mod:`elt.sdk.lake.units`). Schemas are listed once per stream and referred to by
index, so a manifest stays small however many parts a stream has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from elt.protocol import dumps

__all__ = ["MANIFEST_VERSION", "FileEntry", "Manifest"]

MANIFEST_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One committed file."""

    stream: str
    key: str
    url: str
    part: int
    date: str
    rows: int
    bytes: int
    schema: int  # index into the stream's "schemas"


@dataclass
class _StreamEntry:
    schemas: list[Mapping[str, Any]] = field(default_factory=list)
    key_properties: list[str] = field(default_factory=list)
    rows: int = 0
    activate_version: int | None = None


class Manifest:
    """Collects what a run committed; :meth:`to_json` renders it."""

    def __init__(
        self, run_id: str, settings: Mapping[str, Any], unit: Mapping[str, Any] | None = None
    ) -> None:
        self.run_id = run_id
        self.unit = unit  # the UnitIdentity of a unit's manifest
        self.units: list[dict[str, Any]] | None = None  # a split run's units (run manifest)
        self.started_at = datetime.now(UTC)
        self._settings = dict(settings)
        self._streams: dict[str, _StreamEntry] = {}
        self.files: list[FileEntry] = []
        self.written_files = -1  # how many files the last written version listed

    def schema(self, stream: str, schema: Mapping[str, Any], keys: Sequence[str]) -> int:
        """Register a stream's (new) schema; its index for the files written with it."""
        entry = self._streams.setdefault(stream, _StreamEntry())
        entry.key_properties = list(keys)
        if not entry.schemas or entry.schemas[-1] != schema:
            entry.schemas.append(schema)
        return len(entry.schemas) - 1

    def add(self, entry: FileEntry) -> None:
        self.files.append(entry)
        self._streams[entry.stream].rows += entry.rows

    def activate_version(self, stream: str, version: int) -> None:
        self._streams[stream].activate_version = version

    @property
    def stale(self) -> bool:
        """True if files were committed since the manifest was last written."""
        return self.written_files != len(self.files)

    def to_json(self, *, complete: bool) -> bytes:
        """The manifest as it stands; ``complete`` once the run's last file is committed."""
        self.written_files = len(self.files)
        now = datetime.now(UTC).isoformat()
        document: dict[str, Any] = {
            "version": MANIFEST_VERSION,
            "run_id": self.run_id,
            "status": "complete" if complete else "partial",
            "started_at": self.started_at.isoformat(),
            "written_at": now,
            "finished_at": now if complete else None,
            "settings": self._settings,
            "streams": {
                name: {
                    "rows": s.rows,
                    "files": sum(1 for f in self.files if f.stream == name),
                    "key_properties": s.key_properties,
                    "activate_version": s.activate_version,
                    "schemas": s.schemas,
                }
                for name, s in self._streams.items()
            },
            "files": [
                {
                    "stream": f.stream,
                    "key": f.key,
                    "url": f.url,
                    "part": f.part,
                    "date": f.date,
                    "rows": f.rows,
                    "bytes": f.bytes,
                    "schema": f.schema,
                }
                for f in self.files
            ],
        }
        if self.unit is not None:
            document["unit"] = dict(self.unit)
        if self.units is not None:
            document["units"] = self.units
        return dumps(document, 0) + b"\n"
