"""Pagination styles: each one class on singer-sdk's ``BaseAPIPaginator``, found by name in
:data:`STYLES`.

A style owns everything about itself: the settings it needs (:meth:`HttpPaginator.validate`,
a ConfigError naming the setting path, exit 78), its first token, where the next token comes
from (``get_next``), and how a token goes into a request (:meth:`HttpPaginator.apply`: a page
number, an offset or a cursor becomes a query parameter, a next URL replaces the URL). The
stream only asks the walk's paginator; adding a style is one class and one entry in
:data:`STYLES` (and its test), which also feeds the settings' allowed values and --about.

Every style stops on an empty page (singer-sdk's request loop does that) and, when
``total_path`` is set, once as many records as the body's total count were read. A page
shorter than ``page_size`` does not stop the walk: APIs cap page sizes below what was asked,
and stopping there would silently drop the rest.

A walk never loops: a token (cursor, next URL) the API already sent in this walk — A, B,
A — or a page whose body is identical to one already read (an API that ignores ``page`` or
``offset`` sends page 1 again and again) raises a :class:`~elt.errors.ServiceError` naming
the stream, instead of requesting forever. Pages are told apart by a hash of the body, one
pass over bytes already in memory per page. ``max_pages`` caps a walk on top of that.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import ParseResult, parse_qsl, urljoin, urlparse, urlunparse

import requests
from singer_sdk.pagination import BaseAPIPaginator

from elt.errors import ConfigError, ServiceError
from tap_http.pages import PageReader
from tap_http.urls import redact_url

__all__ = [
    "STYLES",
    "HttpPaginator",
    "PaginationSettings",
    "make_paginator",
    "pagination_settings",
]


@dataclass(frozen=True)
class PaginationSettings:
    """How a stream walks its pages; unset fields take the defaults documented in README.

    One flat record for every style: a style reads the fields it names and
    :meth:`HttpPaginator.validate` says which it requires.
    """

    style: str = "none"
    page_param: str = "page"
    start_page: int = 1
    size_param: str | None = None
    page_size: int | None = None
    offset_param: str = "offset"
    limit_param: str = "limit"
    cursor_path: str | None = None
    cursor_param: str = "cursor"
    next_url_path: str | None = None
    total_path: str | None = None
    max_pages: int | None = None


class HttpPaginator(BaseAPIPaginator[Any]):
    """Shared stop rules and loop detection; a subclass is one style (module docstring)."""

    #: what a request of this style looks like, for --about and README
    summary: ClassVar[str]

    def __init__(self, settings: PaginationSettings, reader: PageReader, stream: str) -> None:
        super().__init__(self.first_token(settings))
        self.settings = settings
        self.reader = reader
        self.stream = stream
        self.records_seen = 0
        self._tokens: dict[Hashable, int] = {}  # token -> the page that sent it
        self._bodies: dict[Hashable, int] = {}  # fingerprint of a body -> its page

    @classmethod
    def validate(cls, settings: PaginationSettings, where: str) -> None:
        """Raise a ConfigError (``where``: the settings' path) when ``settings`` lack what
        this style needs; every style takes them as they are unless it says otherwise."""

    @classmethod
    def first_token(cls, settings: PaginationSettings) -> Any:
        """The token of the first request (None: the request as configured)."""
        return None

    def apply(self, token: Any, params: dict[str, Any], url: str) -> str:
        """Put ``token`` (this walk's current one) into a request for ``url``: set the
        parameters it adds in ``params`` and return the URL to request."""
        return url

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


class SinglePage(HttpPaginator):
    """No pagination: one request."""

    summary = "one request"

    def has_more(self, response: requests.Response) -> bool:
        return False


class PageNumberPaginator(HttpPaginator):
    """``?page=1``, ``?page=2``, ... from ``start_page``."""

    summary = "page number"

    @classmethod
    def first_token(cls, settings: PaginationSettings) -> int:
        return settings.start_page

    def apply(self, token: Any, params: dict[str, Any], url: str) -> str:
        settings = self.settings
        params[settings.page_param] = token
        if settings.size_param and settings.page_size:
            params[settings.size_param] = settings.page_size
        return url

    def get_next(self, response: requests.Response) -> int:
        return int(self._value) + 1

    def follows(self) -> str:
        return f"the {self.settings.page_param!r} parameter"


class OffsetPaginator(HttpPaginator):
    """``?offset=0&limit=N``; the next offset adds the records actually received."""

    summary = "offset/limit"

    @classmethod
    def validate(cls, settings: PaginationSettings, where: str) -> None:
        if not settings.page_size:
            raise ConfigError(
                "offset pagination needs page_size (the limit sent with each request)",
                where=where,
            )

    @classmethod
    def first_token(cls, settings: PaginationSettings) -> int:
        return 0

    def apply(self, token: Any, params: dict[str, Any], url: str) -> str:
        params[self.settings.offset_param] = token
        params[self.settings.limit_param] = self.settings.page_size
        return url

    def get_next(self, response: requests.Response) -> int:
        return int(self._value) + self.reader.count(response)

    def follows(self) -> str:
        return f"the {self.settings.offset_param!r} parameter"


class CursorPaginator(HttpPaginator):
    """A token at ``cursor_path`` in the body, sent back as ``cursor_param``."""

    summary = "a token from the body sent back as a param"

    @classmethod
    def validate(cls, settings: PaginationSettings, where: str) -> None:
        if not settings.cursor_path:
            raise ConfigError("cursor pagination needs cursor_path (a JSONPath)", where=where)

    def apply(self, token: Any, params: dict[str, Any], url: str) -> str:
        if token is not None:
            params[self.settings.cursor_param] = token
        return url

    def get_next(self, response: requests.Response) -> Any:
        assert self.settings.cursor_path is not None
        found = self.reader.values(response, self.settings.cursor_path)
        return found[0] if found else None

    def follows(self) -> str:
        return f"the {self.settings.cursor_param!r} parameter"


class _NextLink(HttpPaginator):
    """A style whose token is the next page's whole URL: it replaces the request's URL, and
    its query becomes the parameters (the stream drops the configuration's own from them
    when the URL leads to an origin it does not trust)."""

    def apply(self, token: Any, params: dict[str, Any], url: str) -> str:
        if not isinstance(token, ParseResult):
            return url
        params.update(parse_qsl(token.query, keep_blank_values=True))
        return urlunparse(token._replace(query=""))


class NextUrlPaginator(_NextLink):
    """A full or relative URL at ``next_url_path`` in the body."""

    summary = "a URL from the body"

    @classmethod
    def validate(cls, settings: PaginationSettings, where: str) -> None:
        if not settings.next_url_path:
            raise ConfigError("next_url pagination needs next_url_path (a JSONPath)", where=where)

    def get_next(self, response: requests.Response) -> ParseResult | None:
        assert self.settings.next_url_path is not None
        found = self.reader.values(response, self.settings.next_url_path)
        return urlparse(urljoin(response.url, found[0])) if found and found[0] else None


class LinkHeaderPaginator(_NextLink):
    """The ``rel="next"`` link of an RFC 5988 ``Link`` header."""

    summary = "RFC 5988 Link rel=next"

    def get_next(self, response: requests.Response) -> ParseResult | None:
        url = response.links.get("next", {}).get("url")
        return urlparse(urljoin(response.url, url)) if url else None


#: every pagination style, by the name ``pagination.style`` gives it
STYLES: dict[str, type[HttpPaginator]] = {
    "none": SinglePage,
    "page": PageNumberPaginator,
    "offset": OffsetPaginator,
    "cursor": CursorPaginator,
    "next_url": NextUrlPaginator,
    "link_header": LinkHeaderPaginator,
}


def pagination_settings(
    raw: Mapping[str, Any] | None, default: PaginationSettings, where: str
) -> PaginationSettings:
    """``raw`` over ``default`` when it keeps the default's style, over the built-ins if
    not; checked by the style (``where``: the settings' path, for errors)."""
    if not raw:
        return default
    same_style = raw.get("style", default.style) == default.style
    base = default if same_style else PaginationSettings()
    values = {**base.__dict__, **raw}
    unknown = set(values) - set(PaginationSettings.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"unknown pagination settings {sorted(unknown)}", where=where)
    settings = PaginationSettings(**values)
    style = STYLES.get(settings.style)
    if style is None:
        raise ConfigError(
            f"pagination style {settings.style!r} is not one of {', '.join(STYLES)}", where=where
        )
    style.validate(settings, where)
    if settings.max_pages is not None and settings.max_pages < 1:
        raise ConfigError("max_pages must be at least 1 (unset it for no cap)", where=where)
    return settings


def make_paginator(settings: PaginationSettings, reader: PageReader, stream: str) -> HttpPaginator:
    """A fresh paginator for one walk through an endpoint."""
    return STYLES[settings.style](settings, reader, stream)


def _key(token: Any) -> Hashable:
    """``token`` as a dict key: a cursor may be any JSON value, lists and objects too."""
    return token if isinstance(token, Hashable) else json.dumps(token, sort_keys=True, default=str)


def _show(token: Any) -> str:
    text = redact_url(token.geturl()) if isinstance(token, ParseResult) else str(token)
    return text if len(text) <= 80 else f"{text[:77]}..."
