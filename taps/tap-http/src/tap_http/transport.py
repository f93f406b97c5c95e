"""Sending one request and sorting how it failed: the one place tap-http speaks HTTP.

Every request of the tap goes through :meth:`Transport.send` — a stream's pages and the
OAuth2 token request alike — so one rule decides what a failure means, the rule every elt
client follows (:func:`elt.errors.http_status_error`):

- 5xx, 408, 425 and 429, timeouts, refused or broken connections: a
  :class:`TransientError` (a :class:`~elt.errors.ServiceError`, exit 75), which the stream
  retries up to ``max_tries`` and ``elt run --retries`` retries again;
- 401, 403 (credentials refused or missing) and 404: an :class:`~elt.errors.AccessError`
  (exit 78, never retried);
- any other 4xx: a :class:`~elt.errors.ConfigError` (exit 78): the request our settings
  made is wrong.

Redirects are followed here, one hop at a time, because requests would carry headers such
as an API key to whatever host a redirect names: each hop is signed only when its origin is
trusted (:mod:`tap_http.origins`); elsewhere it goes bare, and a 307/308, which must resend
the request's body, is refused.

``timeout`` bounds a whole request — redirects, connection, headers and the last byte of
the body — through a :class:`~tap_http.deadline.Watchdog`, not each socket read as
requests' own timeout does. Bodies are read by :func:`tap_http.bodies.read_body`, within
``max_response_bytes`` once decompressed (an error body only as far as a message quotes).

Messages name the URL with its secrets redacted and quote the start of an error body.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable, Iterable
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
from urllib3.exceptions import HTTPError, NameResolutionError, NewConnectionError

from elt.errors import ConfigError, EltError, ServiceError, http_status_error
from tap_http.bodies import TooLarge, read_body
from tap_http.deadline import WATCHDOG, WatchedAdapter
from tap_http.origins import Origins, origin_of
from tap_http.redaction import Redactor
from tap_http.urls import redact_url

__all__ = ["Authenticate", "TransientError", "Transport"]

# How much of an error response's body a message quotes.
BODY_EXCERPT: Final = 300

# Redirects followed for one request, as requests and browsers allow.
MAX_REDIRECTS: Final = 30

# Bytes of an error response read: what a message quotes, with room for a prefix.
ERROR_BODY_LIMIT: Final = 64 << 10

# The default of max_response_bytes: no real page comes near it.
MAX_RESPONSE_BYTES: Final = 256 << 20

# Headers that describe a body, dropped when a redirect turns the request into a GET.
_BODY_HEADERS: Final = ("Content-Length", "Content-Type", "Transfer-Encoding")

Authenticate = Callable[[requests.PreparedRequest], requests.PreparedRequest]


class _HeaderDefects(logging.Filter):
    """urllib3 logs malformed response headers with a traceback; the request's own error
    (one paragraph) says what went wrong, so the warning keeps its first line only."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


_HEADER_DEFECTS: Final = _HeaderDefects()


class TransientError(ServiceError):
    """A failure the same request may get past on a later try (exit 75, retried).

    ``response`` is the failed response when there was one, for its ``Retry-After``.
    """

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        hint: str | None = None,
        response: requests.Response | None = None,
    ) -> None:
        super().__init__(message, where=where, hint=hint)
        self.response = response


class Transport:
    """Sends the tap's requests on one session (connections are reused across streams)."""

    def __init__(
        self,
        *,
        origins: Origins,
        timeout: float,
        verify: bool | str,
        max_bytes: int = MAX_RESPONSE_BYTES,
        secret_params: Iterable[str] = (),
        private_params: Iterable[tuple[str, str]] = (),
        redactor: Redactor | None = None,
    ) -> None:
        """``private_params`` are the query pairs of the configuration (its params, an API
        key in the query): never sent to an untrusted origin, even when a link repeats them."""
        self.origins = origins
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.secret_params = tuple(secret_params)
        self.private_params = frozenset(private_params)
        self.redactor = redactor if redactor is not None else Redactor()
        self.session = requests.Session()
        self.session.verify = verify
        logging.getLogger("urllib3.connection").addFilter(_HEADER_DEFECTS)
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, WatchedAdapter())
        self.watchdog = WATCHDOG

    def show(self, url: str | None) -> str:
        """``url`` fit for a message: user-info and secret query values redacted."""
        return self.redactor(redact_url(url or "", self.secret_params))

    def send(
        self,
        request: requests.PreparedRequest,
        *,
        authenticate: Authenticate | None = None,
        own_origin: bool = False,
    ) -> requests.Response:
        """The response to ``request``, following redirects; each hop is signed by
        ``authenticate`` when its origin is trusted. ``own_origin`` trusts the request's own
        origin with its redirects too (the OAuth2 token endpoint's, for its form body).
        An elt error if it failed."""
        visited: set[tuple[str | None, str | None]] = set()
        deadline = time.monotonic() + self.timeout
        current = request
        while True:
            visited.add((current.method, current.url))
            outgoing = current
            if authenticate is not None and self.origins.trusts(current.url or ""):
                outgoing = authenticate(current.copy())
            response = self._exchange(outgoing, deadline)
            if not response.is_redirect:
                break
            response.close()
            current = self._redirected(current, response, request.url if own_origin else None)
            if (current.method, current.url) in visited or len(visited) > MAX_REDIRECTS:
                raise TransientError(
                    f"the redirects loop or go on past {MAX_REDIRECTS} hops",
                    where=self.show(request.url),
                    hint="Check api_url and the stream's path.",
                )
        if response.status_code >= 400:
            raise self.status_error(response)
        return response

    def _exchange(self, request: requests.PreparedRequest, deadline: float) -> requests.Response:
        """One hop, headers and body, done by ``deadline`` or cut off."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._timed_out(request.url)
        with self.watchdog.limit(remaining) as exchange:
            try:
                response = self.session.send(
                    request, timeout=remaining, allow_redirects=False, stream=True
                )
                if not response.is_redirect:
                    limit = ERROR_BODY_LIMIT if response.status_code >= 400 else self.max_bytes
                    read_body(response, limit, truncate=response.status_code >= 400)
            except TooLarge as exc:
                raise ServiceError(
                    f"the response is larger than max_response_bytes ({self.max_bytes:,} "
                    "bytes) once decompressed; reading stopped there",
                    where=self.show(request.url),
                    hint="Ask for smaller pages (page_size), or raise max_response_bytes if "
                    "the API really sends pages this large.",
                ) from exc
            except (requests.RequestException, HTTPError, OSError) as exc:
                if exchange.expired:
                    raise self._timed_out(request.url) from exc
                raise self._failure(exc, request.url) from exc
        if exchange.expired:
            # Cut off, whatever arrived may look complete: headers cut short parse as a
            # response with no body, which would read as an empty page.
            raise self._timed_out(request.url)
        if _header_defects(response):
            raise TransientError(
                "the response's headers were cut short or malformed",
                where=self.show(request.url),
                hint="The API or a proxy on the way broke the response; rerun later.",
            )
        return response

    def _timed_out(self, url: str | None) -> TransientError:
        return TransientError(
            f"no complete response within the timeout of {self.timeout:g}s",
            where=self.show(url),
            hint="The API is slow or stalled; rerun later, or raise timeout.",
        )

    def untrusted_params(self, params: Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
        """``params`` of a link to an untrusted origin, without the configuration's own."""
        return [pair for pair in params if pair not in self.private_params]

    def _redirected(
        self, previous: requests.PreparedRequest, response: requests.Response, home: str | None
    ) -> requests.PreparedRequest:
        """The next hop of a redirect: the request as it was for a trusted origin (its
        method changed as browsers do), a bare one elsewhere (see module docstring)."""
        location = urljoin(response.url, response.headers["Location"])
        status = response.status_code
        method = str(previous.method)
        if (status in (302, 303) and method != "HEAD") or (status == 301 and method == "POST"):
            method = "GET"
        keeps_body = method == previous.method and previous.body is not None
        if self.origins.trusts(location) or (
            home is not None and origin_of(home) == origin_of(location)
        ):
            following = previous.copy()
            following.prepare_url(location, None)
            if method != previous.method:
                following.method, following.body = method, None
                for name in _BODY_HEADERS:
                    following.headers.pop(name, None)
            following.headers.pop("Cookie", None)
            following.prepare_cookies(self.session.cookies)
            return following
        if keeps_body:
            raise ConfigError(
                f"the API answered HTTP {status}, asking to send the request's body to "
                f"{self.origins.describe(location)}, which is not api_url's origin; "
                "tap-http sends nothing of its configuration there",
                where=self.show(response.url),
                hint="Add that origin to allowed_hosts if it should receive the request.",
            )
        parts = urlsplit(location)
        query = urlencode(self.untrusted_params(parse_qsl(parts.query, keep_blank_values=True)))
        bare = requests.Request(
            method,
            urlunsplit(parts._replace(query=query)),
            headers={"User-Agent": previous.headers.get("User-Agent", "")},
        )
        return self.session.prepare_request(bare)

    def status_error(self, response: requests.Response) -> EltError:
        """The error for a response with a failing status, by the one rule (module doc)."""
        kind = http_status_error(response.status_code)
        message = self.describe(response)
        if issubclass(kind, ServiceError):
            return TransientError(
                message,
                hint="The API is failing or rate limiting; rerun later, the bookmark is kept.",
                response=response,
            )
        hint = _status_hint(response.status_code)
        if response.status_code in (401, 403) and not self.origins.trusts(response.url):
            hint = (
                f"tap-http sends no credentials to {self.origins.describe(response.url)}, "
                "which is not api_url's origin; add it to allowed_hosts if it should get them."
            )
        return kind(message, hint=hint)

    def describe(self, response: requests.Response) -> str:
        """``HTTP <status> <reason> from <url>; body: '<start of the body>'``, secrets
        redacted before the body is cut, so no part of one shows."""
        text = self.redactor(response.text)
        excerpt = text[:BODY_EXCERPT] + ("..." if len(text) > BODY_EXCERPT else "")
        return (
            f"HTTP {response.status_code} {response.reason} from {self.show(response.url)}; "
            f"body: {excerpt!r}"
        )

    def _failure(self, exc: Exception, url: str | None) -> EltError:
        """The error for a request that got no (complete) response: a TLS certificate
        refused is configuration (78, not retried); the rest may pass on a later try."""
        where = self.show(url)
        if isinstance(exc, requests.exceptions.SSLError):
            verify = _cause(exc, ssl.SSLCertVerificationError)
            reason = getattr(verify, "verify_message", None) or "the TLS handshake failed"
            return ConfigError(
                f"the server's TLS certificate was not accepted ({reason})",
                where=where,
                hint="Set ca_bundle to the CA file that signed it, or verify_ssl to false for "
                "a server you trust without it.",
            )
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            problem = f"could not connect within the timeout of {self.timeout:g}s"
        elif isinstance(exc, requests.Timeout):
            return self._timed_out(url)
        elif _cause(exc, NameResolutionError):
            problem = "could not resolve the host name"
        elif _cause(exc, NewConnectionError):
            problem = "could not connect (the connection was refused or the host is unreachable)"
        elif isinstance(exc, requests.exceptions.ContentDecodingError):
            problem = "the response body could not be decompressed as its Content-Encoding says"
        else:
            problem = "the connection broke before the whole response arrived"
        return TransientError(
            problem, where=where, hint="Check api_url, the network, and the timeout setting."
        )


def _header_defects(response: requests.Response) -> list[Any]:
    """What http.client found wrong in the response's headers (urllib3 only logs it)."""
    original = getattr(response.raw, "_original_response", None)
    return list(getattr(getattr(original, "msg", None), "defects", None) or [])


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The exception of ``kind`` among those ``exc`` wraps (requests nests urllib3's)."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return current
        pending += [arg for arg in current.args if isinstance(arg, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            pending.append(reason)
        if current.__cause__ is not None:
            pending.append(current.__cause__)
        if current.__context__ is not None:
            pending.append(current.__context__)
    return None


def _status_hint(status: int) -> str:
    if status in (401, 403):
        return "Check the auth settings: the credentials were refused."
    if status == 404:
        return "Check api_url and the stream's path."
    return "Check the stream's path, params and body."
