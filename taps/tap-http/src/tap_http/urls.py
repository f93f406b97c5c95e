"""URLs fit to print: secrets in the query string or user-info never reach a log or an error."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["redact_url"]

# Query parameters that carry credentials in common APIs, redacted whatever the config says.
SECRET_PARAMS = frozenset(
    {"access_token", "api_key", "apikey", "key", "token", "secret", "password", "signature", "sig"}
)


def redact_url(url: str, secret_params: Iterable[str] = ()) -> str:
    """``url`` with user-info removed and the values of secret query parameters masked."""
    parts = urlsplit(url)
    secret = SECRET_PARAMS | {name.lower() for name in secret_params}
    query = urlencode(
        [
            (name, "REDACTED" if name.lower() in secret else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="{}",
    )
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
