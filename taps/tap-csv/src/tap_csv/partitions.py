"""One partition per file of a stream, for ``--partitions`` and ``--partition`` (elt-partitions).

A partition is ``{"id": "2026/03/orders.csv"}``: the file's path relative to the entity's
root (the folder ``path`` names, the folder before a glob's first wildcard, or a single
file's folder), with ``/`` separators. The same file has the same id on every run and every
machine that sees the same tree, and a request naming a file the stream does not have is
refused. A partition read reads that file alone, skipping it when the bookmark says it is
unchanged, exactly as a whole sync would.

The state a partition leaves is the tap's own bookmark format (:mod:`tap_csv.bookmarks`):
the file's entry, beside the entries of the state it started from, and the replication
key's mark moved to the highest key that file held (never below the mark it started
from). The coordinator merges the partitions' states key by key: the files' entries add
up, and the mark is one partition's. A mark lower than the stream's highest key only means
rows at or above it in files changed later are read again (duplicates a target with key
properties upserts), never a gap. ``bound`` is null: finding the highest key of every file
would mean reading them all at planning.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from elt.protocol.partitions import PartitionRequest
from elt.sdk.partitions import partition_field_error
from tap_csv.files import SourceFile

__all__ = ["file_partitions", "partition_file", "partition_root"]

_GLOB_CHARS = "*?["


def partition_root(pattern: str) -> str:
    """The folder partition ids are relative to."""
    cut = min((pattern.find(c) for c in _GLOB_CHARS if c in pattern), default=-1)
    if cut >= 0:
        return os.path.dirname(pattern[:cut]) or "."
    if os.path.isdir(pattern):
        return pattern
    return os.path.dirname(pattern) or "."


def _id(source: SourceFile, root: str) -> str:
    return os.path.relpath(source.path, root).replace(os.sep, "/")


def file_partitions(pattern: str, files: Sequence[SourceFile]) -> list[dict[str, Any]]:
    """One partition per file, in the order a sync reads them."""
    root = partition_root(pattern)
    return [{"id": _id(source, root), "bytes": source.size} for source in files]


def partition_file(
    request: PartitionRequest, pattern: str, files: Sequence[SourceFile], stream: str
) -> SourceFile:
    """The file ``request`` names, or the error saying it is not one of the stream's."""
    if request.bound is not None:
        raise partition_field_error("bound", "a tap-csv partition's bound is null")
    root = partition_root(pattern)
    wanted = request.partition.get("id")
    for source in files:
        if _id(source, root) == wanted:
            return source
    raise partition_field_error(
        "partition.id",
        f"stream {stream!r} has no file {wanted!r} under {root!r} (it has "
        f"{len(files)} file(s), e.g. {_id(files[0], root)!r})",
        hint="plan again with --partitions: the files changed since",
    )
