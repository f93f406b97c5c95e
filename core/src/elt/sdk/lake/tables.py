"""Committing a table (Iceberg, Delta Lake): the one place it goes beside the manifest.

Today a run's files reach readers through its manifest (:mod:`elt.sdk.lake.manifest`),
which :class:`~elt.sdk.lake.writer.LakeWriter` publishes before every STATE it emits and a
last time when the run ends. A table format makes the same files visible as a snapshot of a
table instead, and it must do so at exactly that moment, for the same reason: a bookmark
never moves past data a reader cannot see. So a table is a :class:`TableCommit` the writer
is given (``LakeWriter(..., table=...)``; a lake target that keeps one passes it in its
``open_load``); the writer calls it each time it publishes the manifest, after the manifest
is written and before the STATE that publication lets go. What its ``commit`` must do:

- make every file the manifest lists that the table does not hold yet part of the table, in
  one atomic commit of the table's own protocol (an Iceberg snapshot, a Delta log entry);
- be idempotent: a run killed between the table commit and its STATE reaching the state
  store resends those records in the next run, and must not find its own files added twice
  (record the run id and the files' keys in the commit, and skip what is there);
- raise an :class:`~elt.errors.EltError` when it cannot commit: the STATE is then not
  emitted, the run fails, and the next run resends the records;
- for a split run (:mod:`elt.sdk.lake.units`) it is called by the finishing run only, whose
  manifest lists the units (``Manifest.units``) whose files it commits; the units' own
  writers commit no table.

No table format is implemented yet; ``table=None`` (every target today) publishes the
manifest alone.
"""

from __future__ import annotations

from typing import Protocol

from elt.sdk.lake.manifest import Manifest

__all__ = ["TableCommit"]


class TableCommit(Protocol):
    """A table the lake writer commits its files to; see the module docstring."""

    def commit(self, manifest: Manifest, *, complete: bool) -> None:
        """Add the files of ``manifest`` the table does not hold yet, atomically;
        ``complete`` once the run's last file is committed."""
        ...
