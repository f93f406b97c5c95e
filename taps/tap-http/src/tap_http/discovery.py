"""Schemas for streams configured without one, at the cost of no request a sync would not make.

A stream's schema comes, in order, from its ``schema`` setting, from the input catalog
(``--catalog``: what ``elt run`` passes after its own discovery, so a sync in a second
process does not infer again), or from its first page: the page is fetched, the schema
inferred from it, and the response kept in :class:`FirstPages`. When the sync then asks for
that same page (same method, URL and body) it gets the kept response instead of a second
request, so within one process page 1 is fetched once.

The inference page is always the first page *without* a bookmark. On an incremental run
whose bookmark goes into the request (``bookmark_param``) the sync's first page is another
request, and that one is sent: a schema inferred from "what changed since the bookmark"
would change column types from run to run (a property null in every changed record has no
type), which a target would follow. ``schema`` or a catalog saves that request.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from singer_sdk.singerlib import Catalog

    from tap_http.settings import StreamSettings
    from tap_http.streams import HttpStream

__all__ = ["FirstPages", "catalog_schema", "sample"]

# Records of the first page used to infer a schema.
SAMPLE_RECORDS = 1000

PROBE_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}

# The body is bytes or str for the JSON and form bodies tap-http sends; a streamed body
# (which tap-http never sends) would only match itself.
_Key = tuple[str, str, str | None, object]


class FirstPages:
    """Responses fetched for inference, each handed once to the sync that asks for it."""

    def __init__(self) -> None:
        self._pages: dict[_Key, requests.Response] = {}

    def keep(
        self, stream: str, request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        self._pages[_key(stream, request)] = response

    def take(self, stream: str, request: requests.PreparedRequest) -> requests.Response | None:
        """The kept response to exactly this request of ``stream``, if any (only once)."""
        if not self._pages:
            return None
        return self._pages.pop(_key(stream, request), None)


def _key(stream: str, request: requests.PreparedRequest) -> _Key:
    return (stream, str(request.method), request.url, request.body)


def catalog_schema(catalog: Catalog | None, stream: str) -> dict[str, Any] | None:
    """The schema the input catalog gives ``stream``, if it lists the stream."""
    entry = catalog.get_stream(stream) if catalog is not None else None
    return entry.schema.to_dict() if entry is not None else None


def sample(
    cls: type[HttpStream],
    settings: StreamSettings,
    samples: Mapping[str, list[dict[str, Any]]],
    tap: Any,
) -> list[dict[str, Any]]:
    """Records of the first page, for inference; a child asks for its parent's first record.

    ``samples`` holds the sampled records of the streams already probed (parents first).
    """
    context: Mapping[str, Any] | None = None
    if settings.parent is not None:
        parent_records = samples.get(settings.parent) or []
        if not parent_records:
            return []
        parent = cls.parent_stream_type
        assert parent is not None
        probe_parent = parent(tap, PROBE_SCHEMA)
        probe_parent.child_streams = [cls(tap, PROBE_SCHEMA)]
        context = probe_parent.get_child_context(parent_records[0], None)
    probe = cls(tap, PROBE_SCHEMA)
    return list(islice(probe.first_page(context), SAMPLE_RECORDS))
