"""The Singer catalog: streams, their schemas, and metadata addressed by breadcrumb.

A breadcrumb is the path to a schema node: ``()`` is the stream itself,
``("properties", "email")`` a top-level property, ``("properties", "address",
"properties", "city")`` a nested one. Metadata at each breadcrumb says whether the node is
selected, how it may be included (``automatic``, ``available``, ``unsupported``), and, at
the root, replication settings.

Unknown keys in the catalog JSON are kept and written back: a third-party tap's catalog
survives a round trip through elt unchanged but for what elt sets.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from elt.errors import ProtocolError

Breadcrumb: TypeAlias = tuple[str, ...]

_ENTRY_KEYS = frozenset(
    {"tap_stream_id", "stream", "schema", "metadata", "key_properties", "replication_key",
     "replication_method"}
)  # fmt: skip


def property_breadcrumb(path: str | tuple[str, ...]) -> Breadcrumb:
    """The breadcrumb of a property given its name or its path of nested names."""
    names = (path,) if isinstance(path, str) else path
    crumb: list[str] = []
    for name in names:
        crumb += ("properties", name)
    return tuple(crumb)


@dataclass(slots=True)
class CatalogEntry:
    """One stream of a catalog."""

    tap_stream_id: str
    schema: dict[str, Any]
    stream: str | None = None
    metadata: dict[Breadcrumb, dict[str, Any]] = field(default_factory=dict)
    key_properties: list[str] = field(default_factory=list)
    replication_key: str | None = None
    replication_method: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "catalog") -> CatalogEntry:
        stream_id = data.get("tap_stream_id") or data.get("stream")
        if not isinstance(stream_id, str):
            raise ProtocolError(
                'stream has neither "tap_stream_id" nor "stream"', where=where,
                hint="every catalog stream needs a string tap_stream_id",
            )  # fmt: skip
        schema = data.get("schema", {})
        if not isinstance(schema, dict):
            raise ProtocolError(f'stream {stream_id!r}: "schema" must be an object', where=where)
        metadata: dict[Breadcrumb, dict[str, Any]] = {}
        for item in data.get("metadata") or ():
            if not isinstance(item, dict) or not isinstance(item.get("breadcrumb"), list):
                raise ProtocolError(
                    f"stream {stream_id!r}: each metadata item needs a breadcrumb list",
                    where=where,
                )
            metadata[tuple(item["breadcrumb"])] = dict(item.get("metadata") or {})
        return cls(
            tap_stream_id=stream_id,
            schema=schema,
            stream=data.get("stream"),
            metadata=metadata,
            key_properties=list(data.get("key_properties") or []),
            replication_key=data.get("replication_key"),
            replication_method=data.get("replication_method"),
            extra={k: v for k, v in data.items() if k not in _ENTRY_KEYS},
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tap_stream_id": self.tap_stream_id}
        if self.stream is not None:
            out["stream"] = self.stream
        out["schema"] = self.schema
        out["metadata"] = [
            {"breadcrumb": list(crumb), "metadata": meta} for crumb, meta in self.metadata.items()
        ]
        out["key_properties"] = self.key_properties
        if self.replication_key is not None:
            out["replication_key"] = self.replication_key
        if self.replication_method is not None:
            out["replication_method"] = self.replication_method
        out.update(self.extra)
        return out

    def property_paths(self) -> Iterator[tuple[str, ...]]:
        """Every property's path of names, parents before children."""
        yield from _walk_properties(self.schema, ())

    def is_selected(self, crumb: Breadcrumb = ()) -> bool:
        """Singer's selection rule: automatic > unsupported > selected > selected-by-default.

        A property is selected only if its stream (and every parent object) is too; one
        whose metadata says neither ``selected`` nor ``selected-by-default`` follows its
        parent — what singer-sdk taps do when they sync, so a listing matches what a run
        extracts. A stream whose metadata says neither is not selected.
        """
        if crumb and not self.is_selected(crumb[:-2]):
            return False
        meta = self.metadata.get(crumb, {})
        inclusion = meta.get("inclusion")
        if inclusion == "automatic":
            return True
        if inclusion == "unsupported":
            return False
        if "selected" in meta:
            return bool(meta["selected"])
        if "selected-by-default" in meta:
            return bool(meta["selected-by-default"])
        return bool(crumb)


@dataclass(slots=True)
class Catalog:
    """The streams a tap offers, in discovery order."""

    streams: list[CatalogEntry] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "catalog") -> Catalog:
        streams = data.get("streams")
        if not isinstance(streams, list):
            raise ProtocolError(
                'a catalog must be an object with a "streams" array', where=where,
                hint="run the tap with --discover to produce one",
            )  # fmt: skip
        return cls([CatalogEntry.from_dict(s, where=where) for s in streams])

    def to_dict(self) -> dict[str, Any]:
        return {"streams": [entry.to_dict() for entry in self.streams]}

    def get(self, tap_stream_id: str) -> CatalogEntry | None:
        for entry in self.streams:
            if entry.tap_stream_id == tap_stream_id:
                return entry
        return None

    def selected_streams(self) -> list[CatalogEntry]:
        return [entry for entry in self.streams if entry.is_selected()]


def _walk_properties(
    schema: Mapping[str, Any], parent: tuple[str, ...]
) -> Iterator[tuple[str, ...]]:
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return
    for name, child in properties.items():
        path = (*parent, name)
        yield path
        if isinstance(child, Mapping):
            yield from _walk_properties(child, path)
