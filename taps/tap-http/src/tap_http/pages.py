"""Decoding one response into its body and records, once, for the stream and its paginator.

The stream needs the records and the paginator needs the body (a cursor, a next URL, a total
count) of the same response; :class:`PageReader` decodes each response once and remembers
the last, so neither parses twice. It counts pages so that a malformed body is reported
with its URL and page number.

JSONPaths of the common shapes (``$``, ``$.data``, ``$.data[*]``, ``$.a.b[*]``) are read
with plain indexing; jsonpath-ng, which builds two objects per match, is kept for the rest.

Bodies are parsed by :func:`elt.protocol.loads_exact`: orjson, unless a number has more
digits than a double holds, in which case that page is parsed into ``Decimal``/``int`` so no
digit of an amount or an id is lost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any, Final

import requests
from singer_sdk.helpers.jsonpath import extract_jsonpath

from elt.errors import ServiceError
from elt.protocol import loads_exact
from tap_http.urls import redact_url

__all__ = ["PageReader", "compile_path"]

# `$`, then `.name` steps of word characters, then an optional `[*]`
_SIMPLE_PATH: Final = re.compile(r"\$((?:\.\w+)*)(\[\*\])?")

Extract = Callable[[Any], list[Any]]

JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")


class PageReader:
    """Decodes the pages of one partition's walk through an endpoint."""

    def __init__(
        self, records_path: str, response_format: str, secret_params: Iterable[str] = ()
    ) -> None:
        self.records_path = records_path
        self.response_format = response_format
        self.secret_params = tuple(secret_params)
        self.pages = 0
        self._extract = compile_path(records_path)
        self._last: tuple[requests.Response, Any] | None = None
        self._last_records: tuple[requests.Response, list[Any]] | None = None

    def body(self, response: requests.Response) -> Any:
        """The decoded body: a JSON value, or a list of values for JSON Lines."""
        if self._last is not None and self._last[0] is response:
            return self._last[1]
        self.pages += 1
        body = self._decode(response)
        self._last = (response, body)
        return body

    def records(self, response: requests.Response) -> list[Any]:
        """The records of a page: every JSON Lines value, or the matches of records_path."""
        if self._last_records is not None and self._last_records[0] is response:
            return self._last_records[1]
        body = self.body(response)
        records = body if self._is_jsonl(response) else self._extract(body)
        self._last_records = (response, records)
        return records

    def values(self, response: requests.Response, path: str) -> list[Any]:
        """The values at JSONPath ``path`` in the body of ``response``."""
        return compile_path(path)(self.body(response))

    def _is_jsonl(self, response: requests.Response) -> bool:
        if self.response_format != "auto":
            return self.response_format == "jsonl"
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        return content_type in JSONL_TYPES

    def _decode(self, response: requests.Response) -> Any:
        data = response.content
        line = 1
        try:
            if self._is_jsonl(response):
                values = []
                for line, text in enumerate(data.splitlines(), start=1):  # noqa: B007
                    if text.strip():
                        values.append(loads_exact(text))
                return values
            return loads_exact(data) if data.strip() else []
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
