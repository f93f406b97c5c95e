"""``LeanStream``: the base of our taps' streams, with the lean path chosen in one place.

singer-sdk's record loop (its private ``Stream._sync_records``) costs 30-40 µs a record — a
generator step, a deselection copy, type conformance, a message object and a writer call
each — several times what our taps take to read a record. Each tap has its own batch-wise
loop instead; what they share is when that loop may write RECORD lines itself and when
records must go through singer-sdk's path:

- **lean**: messages are written (not collected for singer-sdk's BATCH files), through elt's
  :class:`~elt.sdk.OrjsonWriter`, and the stream has no map, alias, filter or flattening
  (:func:`~elt.sdk.maps_are_identity`). The loop gets that writer and writes lines with
  :func:`~elt.sdk.encode_records` (or its own bytes);
- **SDK**: anything else. The loop gets None and hands each record to singer-sdk
  (``_write_record_message``), so stream maps behave as in any SDK tap.

:meth:`LeanStream.sync_records` is that loop (singer-sdk's own by default). After it, the
writer is flushed: a STATE equal to the last one is not written again, so nothing else
would flush the stream's last records before the next stream or the end of the process.

Overriding singer-sdk's private methods is kept to ``elt.sdk``, each behind a public hook
(here :meth:`~LeanStream.sync_records` and :meth:`~LeanStream.catalog_entry`), so a
singer-sdk upgrade that changes one breaks a test in one place
(``core/tests/sdk/test_private_overrides.py``) and no plugin.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from elt.sdk.io import OrjsonWriter
from elt.sdk.progress import MeteredStream
from elt.sdk.records import maps_are_identity

if TYPE_CHECKING:
    from singer_sdk import singerlib as singer

__all__ = ["LeanStream"]


class LeanStream(MeteredStream):
    """A stream whose records skip singer-sdk's per-record loop when they can (module
    docstring); its record counter is :class:`~elt.sdk.progress.MeteredStream`'s."""

    def sync_records(
        self,
        context: Mapping[str, Any] | None,
        *,
        lean: OrjsonWriter | None,
        write_messages: bool,
    ) -> Iterator[dict[str, Any]]:
        """Sync the records of one context (partition), yielding those handed to singer-sdk.

        ``lean`` is the writer to write RECORD lines to, or None when every record must go
        through singer-sdk (``_write_record_message`` when ``write_messages``, else only
        yielded, for singer-sdk's batcher). The default is singer-sdk's own loop.
        """
        return super()._sync_records(context, write_messages=write_messages)

    def catalog_entry(self, entry: singer.CatalogEntry) -> singer.CatalogEntry:
        """The stream's entry in a discovered catalog, as singer-sdk made it (by default)."""
        return entry

    def _sync_records(
        self, context: Mapping[str, Any] | None = None, *, write_messages: bool = True
    ) -> Generator[dict[str, Any], Any, None]:
        writer = self._tap.message_writer
        lean = None
        if write_messages and isinstance(writer, OrjsonWriter) and maps_are_identity(self):
            lean = writer
        yield from self.sync_records(context, lean=lean, write_messages=write_messages)
        if isinstance(writer, OrjsonWriter):
            writer.flush()

    @property
    def _singer_catalog_entry(self) -> singer.CatalogEntry:
        return self.catalog_entry(super()._singer_catalog_entry)
