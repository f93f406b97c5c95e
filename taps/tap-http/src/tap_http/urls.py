"""URLs fit to print: secrets in the query string or user-info never reach a log or an error."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from elt.protocol import is_secret_name

__all__ = ["redact_url"]


def redact_url(url: str, secret_params: Iterable[str] = ()) -> str:
    """``url`` with user-info removed and the values of secret query parameters masked:
    those the config names, and those named like a secret by the rule elt applies to
    settings (:func:`elt.protocol.is_secret_name`), so the run log and this agree."""
    parts = urlsplit(url)
    secret = {name.lower() for name in secret_params}
    query = urlencode(
        [
            (name, "REDACTED" if name.lower() in secret or is_secret_name(name) else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="{}",
    )
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
