"""Paginators, one small strategy per style, all on singer-sdk's ``BaseAPIPaginator``.

Every style stops on an empty page (singer-sdk's request loop does that) and, when
``total_path`` is set, once as many records as the body's total count were read. A page
shorter than ``page_size`` does not stop the walk: APIs cap page sizes below what was asked,
and stopping there would silently drop the rest.

A walk never loops: a token (cursor, next URL) the API already sent in this walk — A, B,
A — or a page whose body is identical to one already read (an API that ignores ``page`` or
``offset`` sends page 1 again and again) raises a :class:`~elt.errors.ServiceError` naming
the stream, instead of requesting forever. Pages are told apart by a hash of the body, one
pass over bytes already in memory per page. ``max_pages`` caps a walk on top of that.

The token each paginator yields is applied to the request by
:meth:`tap_http.streams.HttpStream.get_http_request`: a page number, an offset or a cursor
becomes a query parameter, a next URL (``next_url``, ``link_header``) replaces the URL.
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from typing import Any
from urllib.parse import ParseResult, urljoin, urlparse

import requests
from singer_sdk.pagination import BaseAPIPaginator

from elt.errors import ServiceError
from tap_http.pages import PageReader
from tap_http.settings import PaginationSettings
from tap_http.urls import redact_url

__all__ = ["HttpPaginator", "make_paginator"]


class HttpPaginator(BaseAPIPaginator[Any]):
    """Shared stop rules and loop detection; subclasses say where the next token comes from."""

    def __init__(
        self, start_value: Any, settings: PaginationSettings, reader: PageReader, stream: str
    ) -> None:
        super().__init__(start_value)
        self.settings = settings
        self.reader = reader
        self.stream = stream
        self.records_seen = 0
        self._tokens: dict[Hashable, int] = {}  # token -> the page that sent it
        self._bodies: dict[Hashable, int] = {}  # fingerprint of a body -> its page

    def has_more(self, response: requests.Response) -> bool:
        self.records_seen += self.reader.count(response)
        if self.settings.total_path:
            totals = self.reader.values(response, self.settings.total_path)
            if totals and self.records_seen >= int(totals[0]):
                return False
        return True

    def advance(self, response: requests.Response) -> None:
        """singer-sdk's advance, with loops and ``max_pages`` reported as elt errors."""
        self._page_count += 1
        page = self._page_count
        seen = self._bodies.setdefault(self.reader.fingerprint(response), page)
        if seen != page:
            raise self._loop(
                f"page {page} is identical to page {seen}: the API seems to ignore {self.follows()}"
            )
        if not self.has_more(response):
            self._finished = True
            return
        new_value = self.get_next(response)
        if not new_value:
            self._finished = True
            return
        sent = self._tokens.setdefault(_key(new_value), page)
        if sent != page:
            raise self._loop(
                f"after page {page} the API sent the pagination token {_show(new_value)!r} "
                f"again (it came with page {sent} before): its pages loop"
            )
        limit = self.settings.max_pages
        if limit is not None and page >= limit:
            raise ServiceError(
                f"the API has more pages after max_pages ({limit}); stopped there",
                where=f"stream {self.stream!r}",
                hint="Raise or unset pagination.max_pages if the API really has this many "
                "pages; if not, its pagination loops in a way tap-http cannot see.",
            )
        self._value = new_value

    def follows(self) -> str:
        """What carries the page position, for a message about a looping API."""
        return "the next link"

    def _loop(self, problem: str) -> ServiceError:
        return ServiceError(
            f"{problem}; stopped instead of requesting forever",
            where=f"stream {self.stream!r}",
            hint="Check the stream's pagination settings (style, parameter, token path); "
            "an API that returns everything at once needs style 'none'.",
        )

    def get_next(self, response: requests.Response) -> Any:
        raise NotImplementedError


class PageNumberPaginator(HttpPaginator):
    """``?page=1``, ``?page=2``, ... from ``start_page``."""

    def get_next(self, response: requests.Response) -> int:
        return int(self._value) + 1

    def follows(self) -> str:
        return f"the {self.settings.page_param!r} parameter"


class OffsetPaginator(HttpPaginator):
    """``?offset=0&limit=N``; the next offset adds the records actually received."""

    def get_next(self, response: requests.Response) -> int:
        return int(self._value) + self.reader.count(response)

    def follows(self) -> str:
        return f"the {self.settings.offset_param!r} parameter"


class CursorPaginator(HttpPaginator):
    """A token at ``cursor_path`` in the body, sent back as ``cursor_param``."""

    def get_next(self, response: requests.Response) -> Any:
        assert self.settings.cursor_path is not None
        found = self.reader.values(response, self.settings.cursor_path)
        return found[0] if found else None

    def follows(self) -> str:
        return f"the {self.settings.cursor_param!r} parameter"


class NextUrlPaginator(HttpPaginator):
    """A full or relative URL at ``next_url_path`` in the body."""

    def get_next(self, response: requests.Response) -> ParseResult | None:
        assert self.settings.next_url_path is not None
        found = self.reader.values(response, self.settings.next_url_path)
        return urlparse(urljoin(response.url, found[0])) if found and found[0] else None


class LinkHeaderPaginator(HttpPaginator):
    """The ``rel="next"`` link of an RFC 5988 ``Link`` header."""

    def get_next(self, response: requests.Response) -> ParseResult | None:
        url = response.links.get("next", {}).get("url")
        return urlparse(urljoin(response.url, url)) if url else None


class SinglePage(HttpPaginator):
    """No pagination: one request."""

    def has_more(self, response: requests.Response) -> bool:
        return False


_STYLES: dict[str, type[HttpPaginator]] = {
    "none": SinglePage,
    "page": PageNumberPaginator,
    "offset": OffsetPaginator,
    "cursor": CursorPaginator,
    "next_url": NextUrlPaginator,
    "link_header": LinkHeaderPaginator,
}


def make_paginator(settings: PaginationSettings, reader: PageReader, stream: str) -> HttpPaginator:
    """A fresh paginator for one walk through an endpoint."""
    start: Any = {"page": settings.start_page, "offset": 0}.get(settings.style)
    return _STYLES[settings.style](start, settings, reader, stream)


def _key(token: Any) -> Hashable:
    """``token`` as a dict key: a cursor may be any JSON value, lists and objects too."""
    return token if isinstance(token, Hashable) else json.dumps(token, sort_keys=True, default=str)


def _show(token: Any) -> str:
    text = redact_url(token.geturl()) if isinstance(token, ParseResult) else str(token)
    return text if len(text) <= 80 else f"{text[:77]}..."
