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

Messages name the URL with its secrets redacted and quote the start of an error body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

from elt.errors import EltError, ServiceError, http_status_error
from tap_http.urls import redact_url

__all__ = ["Authenticate", "TransientError", "Transport"]

# How much of an error response's body a message quotes.
BODY_EXCERPT: Final = 300

Authenticate = Callable[[requests.PreparedRequest], requests.PreparedRequest]


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
        self, *, timeout: float, verify: bool | str, secret_params: Iterable[str] = ()
    ) -> None:
        self.timeout = timeout
        self.secret_params = tuple(secret_params)
        self.session = requests.Session()
        self.session.verify = verify

    def show(self, url: str | None) -> str:
        """``url`` fit for a message: user-info and secret query values redacted."""
        return redact_url(url or "", self.secret_params)

    def send(
        self, request: requests.PreparedRequest, *, authenticate: Authenticate | None = None
    ) -> requests.Response:
        """The response to ``request``, signed by ``authenticate``; an elt error if it failed."""
        outgoing = authenticate(request.copy()) if authenticate is not None else request
        try:
            response = self.session.send(outgoing, timeout=self.timeout)
        except requests.RequestException as exc:
            raise self._failure(exc, request.url) from exc
        if response.status_code >= 400:
            raise self.status_error(response)
        return response

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
        return kind(message, hint=_status_hint(response.status_code))

    def describe(self, response: requests.Response) -> str:
        """``HTTP <status> <reason> from <url>; body: '<start of the body>'``."""
        text = response.text
        excerpt = text[:BODY_EXCERPT] + ("..." if len(text) > BODY_EXCERPT else "")
        return (
            f"HTTP {response.status_code} {response.reason} from {self.show(response.url)}; "
            f"body: {excerpt!r}"
        )

    def _failure(self, exc: requests.RequestException, url: str | None) -> EltError:
        """The error for a request that got no response."""
        where = self.show(url)
        if isinstance(exc, requests.exceptions.SSLError):
            return TransientError(
                "the server's TLS certificate was not accepted",
                where=where,
                hint="Set ca_bundle to the CA file that signed it, or verify_ssl to false for "
                "a server you trust without it.",
            )
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            problem = f"could not connect within the timeout of {self.timeout:g}s"
        elif isinstance(exc, requests.Timeout):
            problem = f"no response within the timeout of {self.timeout:g}s"
        elif _caused_by(exc, NameResolutionError):
            problem = "could not resolve the host name"
        elif _caused_by(exc, NewConnectionError):
            problem = "could not connect (the connection was refused or the host is unreachable)"
        else:
            problem = f"the connection failed ({type(exc).__name__})"
        return TransientError(
            problem, where=where, hint="Check api_url, the network, and the timeout setting."
        )


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``kind`` is among the exceptions ``exc`` wraps (requests nests urllib3's)."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return True
        pending += [arg for arg in current.args if isinstance(arg, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            pending.append(reason)
        if current.__cause__ is not None:
            pending.append(current.__cause__)
        if current.__context__ is not None:
            pending.append(current.__context__)
    return False


def _status_hint(status: int) -> str:
    if status in (401, 403):
        return "Check the auth settings: the credentials were refused."
    if status == 404:
        return "Check api_url and the stream's path."
    return "Check the stream's path, params and body."
