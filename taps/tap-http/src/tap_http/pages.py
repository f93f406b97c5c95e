"""Decoding one response into its body and records, once, for the stream and its paginator.

The stream needs the records and the paginator needs the body (a cursor, a next URL, a total
count) of the same response; :class:`PageReader` decodes each response once and remembers
the last, so neither parses twice. It counts pages so that a malformed body is reported
with its URL and page number.

Floats are decoded to ``Decimal`` as singer-sdk does, so no digit of an amount is lost.
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Iterable
from typing import Any

import requests
from singer_sdk.helpers.jsonpath import extract_jsonpath

from elt.errors import ServiceError
from tap_http.urls import redact_url

__all__ = ["PageReader"]

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
        self._last: tuple[requests.Response, Any] | None = None

    def body(self, response: requests.Response) -> Any:
        """The decoded body: a JSON value, or a list of values for JSON Lines."""
        if self._last is not None and self._last[0] is response:
            return self._last[1]
        self.pages += 1
        body = self._decode(response)
        self._last = (response, body)
        return body

    def records(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        """The records of a page: every JSON Lines value, or the matches of records_path."""
        body = self.body(response)
        if self._is_jsonl(response):
            return body  # type: ignore[no-any-return]
        return extract_jsonpath(self.records_path, body)

    def values(self, response: requests.Response, path: str) -> list[Any]:
        """The values at JSONPath ``path`` in the body of ``response``."""
        return list(extract_jsonpath(path, self.body(response)))

    def _is_jsonl(self, response: requests.Response) -> bool:
        if self.response_format != "auto":
            return self.response_format == "jsonl"
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        return content_type in JSONL_TYPES

    def _decode(self, response: requests.Response) -> Any:
        text = response.text
        try:
            if self._is_jsonl(response):
                return [
                    json.loads(line, parse_float=decimal.Decimal)
                    for line in text.splitlines()
                    if line.strip()
                ]
            return json.loads(text, parse_float=decimal.Decimal) if text.strip() else []
        except json.JSONDecodeError as exc:
            raise ServiceError(
                f"page {self.pages} is not valid JSON ({exc.msg} at line {exc.lineno} "
                f"column {exc.colno}); it starts {text[:200]!r}",
                where=redact_url(response.url, self.secret_params),
                hint="Check the stream's path and response_format.",
            ) from exc
