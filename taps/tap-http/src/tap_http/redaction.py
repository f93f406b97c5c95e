"""Secrets out of everything tap-http logs or raises, in every form they take on the wire.

An API's error body may echo the request it refused: ``Authorization: Basic <base64 of
user:password>``, the OAuth2 access token the tap fetched, the API key URL-encoded in a
query string. Redacting the configured values as written misses all three. A
:class:`Redactor` holds every secret of one tap — the configured ones, the forms derived from
them, the tokens fetched while it runs — each in the encodings it may appear in (as is,
URL-encoded, JSON-escaped), and replaces them with ``REDACTED``.

Errors are scrubbed where they leave the tap (:meth:`Redactor.scrubbing`), and one log
filter on the process's log handlers does the same for every line written, whichever
logger wrote it (urllib3 names URLs, backoff names exceptions). Nothing here runs per record.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final
from urllib.parse import quote, quote_plus
from weakref import WeakSet

from elt.errors import EltError
from tap_http.urls import SECRET_PARAMS

__all__ = ["REDACTED", "Redactor", "config_secrets"]

REDACTED: Final = "REDACTED"

# Shorter values are not looked for in free text: redacting every "ab" would garble each
# message, and a credential that short protects nothing.
MIN_LENGTH: Final = 4

# Header and parameter names whose values are credentials, whatever the API calls them.
_SECRET_NAME: Final = re.compile(r"auth|token|key|secret|pass|cookie|session|signature", re.I)


class Redactor:
    """Replaces every known secret, in each of its forms, in text."""

    def __init__(self) -> None:
        self._forms: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, secret: str | None) -> None:
        """Redact ``secret`` (and its encoded forms) from now on."""
        if not secret or len(secret) < MIN_LENGTH:
            return
        forms = {
            secret,
            quote(secret, safe=""),
            quote(secret),
            quote_plus(secret),
            json.dumps(secret)[1:-1],
        }
        if forms <= self._forms:
            return
        self._forms |= forms
        ordered = sorted(self._forms, key=len, reverse=True)  # the longest form wins an overlap
        self._pattern = re.compile("|".join(map(re.escape, ordered)))

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(REDACTED, text)

    @contextmanager
    def scrubbing(self) -> Iterator[None]:
        """Redact the message, location and hint of an elt error passing through."""
        try:
            yield
        except EltError as exc:
            exc.message = self(exc.message)
            exc.where = self(exc.where) if exc.where else exc.where
            exc.hint = self(exc.hint) if exc.hint else exc.hint
            raise

    def install(self) -> None:
        """Redact every log line of this process (see the module docstring)."""
        _LOG_FILTER.redactors.add(self)
        for handler in logging.getLogger().handlers:
            handler.addFilter(_LOG_FILTER)


def config_secrets(config: Mapping[str, Any]) -> list[str]:
    """Every secret of a tap-http configuration, with the forms derived from them that go
    on the wire (basic auth's base64 of ``user:password``)."""
    auth = config.get("auth") or {}
    secrets = [
        str(auth[name])
        for name in ("token", "password", "api_key", "client_secret")
        if auth.get(name)
    ]
    if auth.get("type") == "basic" and auth.get("password"):
        pair = f"{auth.get('username', '')}:{auth['password']}"
        secrets += [pair, base64.b64encode(pair.encode()).decode()]
    for headers in _everywhere(config, "headers"):
        secrets += [str(v) for k, v in headers.items() if v and _SECRET_NAME.search(str(k))]
    for params in _everywhere(config, "params"):
        secrets += [
            str(v)
            for k, v in params.items()
            if v and (str(k).lower() in SECRET_PARAMS or _SECRET_NAME.search(str(k)))
        ]
    return secrets


def _everywhere(config: Mapping[str, Any], name: str) -> Iterator[Mapping[str, Any]]:
    """The setting ``name`` at the top level and in every stream."""
    streams = config.get("streams")
    for owner in [config, *(streams if isinstance(streams, list) else [])]:
        value = owner.get(name) if isinstance(owner, Mapping) else None
        if isinstance(value, Mapping):
            yield value


class _LogRedaction(logging.Filter):
    """Applies every live tap's :class:`Redactor` to each record a handler writes."""

    def __init__(self) -> None:
        super().__init__()
        self.redactors: WeakSet[Redactor] = WeakSet()

    def filter(self, record: logging.LogRecord) -> bool:
        redactors = list(self.redactors)
        if not redactors:
            return True
        text = original = record.getMessage()
        for redactor in redactors:
            text = redactor(text)
        if text != original:
            record.msg, record.args = text, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            for redactor in redactors:
                record.exc_text = redactor(record.exc_text)
        return True


_LOG_FILTER: Final = _LogRedaction()
