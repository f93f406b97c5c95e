"""Paginators, one small strategy per style, all on singer-sdk's ``BaseAPIPaginator``.

Every style stops on an empty page (singer-sdk's request loop does that) and, when
``total_path`` is set, once as many records as the body's total count were read. A page
shorter than ``page_size`` does not stop the walk: APIs cap page sizes below what was asked,
and stopping there would silently drop the rest. Two identical tokens in a row raise a
:class:`~elt.errors.ServiceError` naming the stream and token instead of looping forever.

The token each paginator yields is applied to the request by
:meth:`tap_http.streams.HttpStream.get_http_request`: a page number, an offset or a cursor
becomes a query parameter, a next URL (``next_url``, ``link_header``) replaces the URL.
"""

from __future__ import annotations

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

    def has_more(self, response: requests.Response) -> bool:
        self.records_seen += self.reader.count(response)
        if self.settings.total_path:
            totals = self.reader.values(response, self.settings.total_path)
            if totals and self.records_seen >= int(totals[0]):
                return False
        return True

    def advance(self, response: requests.Response) -> None:
        """singer-sdk's advance, with a loop reported as an elt error naming the stream."""
        self._page_count += 1
        if not self.has_more(response):
            self._finished = True
            return
        new_value = self.get_next(response)
        if new_value and new_value == self._value:
            raise ServiceError(
                f"the API returned the same pagination token twice in a row ({_show(new_value)})"
                f" after page {self._page_count}; stopping instead of looping",
                where=f"stream {self.stream!r}",
                hint="Check the stream's pagination settings (style and token path).",
            )
        if not new_value:
            self._finished = True
        else:
            self._value = new_value

    def get_next(self, response: requests.Response) -> Any:
        raise NotImplementedError


class PageNumberPaginator(HttpPaginator):
    """``?page=1``, ``?page=2``, ... from ``start_page``."""

    def get_next(self, response: requests.Response) -> int:
        return int(self._value) + 1


class OffsetPaginator(HttpPaginator):
    """``?offset=0&limit=N``; the next offset adds the records actually received."""

    def get_next(self, response: requests.Response) -> int:
        return int(self._value) + self.reader.count(response)


class CursorPaginator(HttpPaginator):
    """A token at ``cursor_path`` in the body, sent back as ``cursor_param``."""

    def get_next(self, response: requests.Response) -> Any:
        assert self.settings.cursor_path is not None
        found = self.reader.values(response, self.settings.cursor_path)
        return found[0] if found else None


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


def _show(token: Any) -> str:
    text = redact_url(token.geturl()) if isinstance(token, ParseResult) else str(token)
    return text if len(text) <= 80 else f"{text[:77]}..."
