"""Decoding one response into its body and records, once, for the stream and its paginator.

The stream needs the records and the paginator needs the body (a cursor, a next URL, a total
count) of the same response; :class:`PageReader` decodes each response once and remembers
the last, so neither parses twice (JSON Lines are streamed instead, see the class). It
counts pages so that a malformed body is reported with its URL and page number.

JSONPaths of the common shapes (``$``, ``$.data``, ``$.data[*]``, ``$.a.b[*]``) are read
with plain indexing; jsonpath-ng, which builds two objects per match, is kept for the rest.

Bodies are parsed by :func:`elt.protocol.loads_exact`: orjson, unless a number has more
digits than a double holds, in which case that page is parsed into ``Decimal``/``int`` so no
digit of an amount or an id is lost.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, Final

import requests
from singer_sdk.helpers.jsonpath import extract_jsonpath

from elt.errors import ServiceError
from elt.protocol import loads_exact
from tap_http.bodies import CHUNK, spooled
from tap_http.urls import redact_url

__all__ = ["PageReader", "compile_path"]

# `$`, then `.name` steps of word characters, then an optional `[*]`
_SIMPLE_PATH: Final = re.compile(r"\$((?:\.\w+)*)(\[\*\])?")

Extract = Callable[[Any], list[Any]]

JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")

_UNREAD: Final = object()


class PageReader:
    """Decodes the pages of one partition's walk through an endpoint.

    A JSON body is parsed whole; JSON Lines are parsed a line at a time as the records are
    taken, so a large body (kept in a file by :mod:`tap_http.bodies`) never sits in memory
    as records.
    """

    def __init__(
        self, records_path: str, response_format: str, secret_params: Iterable[str] = ()
    ) -> None:
        self.records_path = records_path
        self.response_format = response_format
        self.secret_params = tuple(secret_params)
        self.pages = 0
        self._extract = compile_path(records_path)
        self._page: requests.Response | None = None
        self._body: Any = _UNREAD
        self._records: list[Any] | None = None
        self._count = 0

    def body(self, response: requests.Response) -> Any:
        """The decoded body: a JSON value, or a list of values for JSON Lines."""
        self._turn_to(response)
        if self._body is _UNREAD:
            self._body = self._decode(response)
        return self._body

    def records(self, response: requests.Response) -> Iterable[Any]:
        """The records of a page: every JSON Lines value, or the matches of records_path."""
        self._turn_to(response)
        if self._is_jsonl(response):
            return self._jsonl_records(response)
        if self._records is None:
            self._records = self._extract(self.body(response))
        return self._records

    def count(self, response: requests.Response) -> int:
        """How many records the page held (of JSON Lines: how many were taken from it)."""
        if self._is_jsonl(response):
            return self._count if response is self._page else 0
        records = self.records(response)
        assert isinstance(records, list)
        return len(records)

    def fingerprint(self, response: requests.Response) -> Hashable:
        """A hash of the body as it came, to tell a page already read from a new one."""
        spool = spooled(response)
        if spool is None:
            return hash(response.content)
        digest = hashlib.sha256()
        for chunk in iter(lambda: spool.read(CHUNK), b""):
            digest.update(chunk)
        return digest.digest()

    def values(self, response: requests.Response, path: str) -> list[Any]:
        """The values at JSONPath ``path`` in the body of ``response``."""
        return compile_path(path)(self.body(response))

    def _turn_to(self, response: requests.Response) -> None:
        if response is not self._page:
            self._page, self._body, self._records, self._count = response, _UNREAD, None, 0
            self.pages += 1

    def _is_jsonl(self, response: requests.Response) -> bool:
        if self.response_format != "auto":
            return self.response_format == "jsonl"
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        return content_type in JSONL_TYPES

    def _jsonl_records(self, response: requests.Response) -> Iterator[Any]:
        self._count = 0
        for number, line in enumerate(_lines(response), start=1):
            if line.strip():
                self._count += 1
                yield self._parse(line, response, number)

    def _decode(self, response: requests.Response) -> Any:
        if self._is_jsonl(response):
            return [
                self._parse(line, response, number)
                for number, line in enumerate(_lines(response), start=1)
                if line.strip()
            ]
        data = response.content
        return self._parse(data, response) if data.strip() else []

    def _parse(self, data: bytes, response: requests.Response, line: int = 1) -> Any:
        """``data`` parsed; a malformed body is a ServiceError naming URL, page and line."""
        try:
            return loads_exact(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            if isinstance(exc, json.JSONDecodeError):
                fault = f"{exc.msg} at line {exc.lineno + line - 1} column {exc.colno}"
            else:
                fault = f"byte 0x{data[exc.start]:02x} is not UTF-8"
            raise ServiceError(
                f"page {self.pages} is not valid JSON ({fault}); it starts "
                f"{data[:200].decode(errors='replace')!r}",
                where=redact_url(response.url, self.secret_params),
                hint="Check the stream's path and response_format.",
            ) from exc


def _lines(response: requests.Response) -> Iterable[bytes]:
    """The lines of a body, from its file when it was too large to keep in memory."""
    spool = spooled(response)
    return spool if spool is not None else response.content.splitlines()


def compile_path(path: str) -> Extract:
    """A function returning the matches of JSONPath ``path`` in a document, as a list."""
    simple = _SIMPLE_PATH.fullmatch(path.strip())
    if simple is None:
        return lambda document: list(extract_jsonpath(path, document))
    keys = simple.group(1).split(".")[1:]
    each = simple.group(2) is not None

    def extract(document: Any) -> list[Any]:
        for key in keys:
            if not isinstance(document, dict) or key not in document:
                return []
            document = document[key]
        if each:
            if isinstance(document, list):
                return document
            return list(document.values()) if isinstance(document, dict) else []
        return [document]

    return extract
