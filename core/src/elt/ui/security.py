"""Who may see the page and act on it: the token, the login cookie, CSRF, read-only mode.

The page can start runs and change state, so:

- It binds 127.0.0.1 by default; any other address refuses to start without a token
  (:func:`check_bind`), which every request must then carry: ``Authorization: Bearer
  TOKEN``, or the cookie the login form sets (HttpOnly, SameSite=Strict). The cookie holds a
  random value of this process, never the token, and dies with it (a restart logs out).
- Bound to a loopback address, the page answers only requests whose ``Host`` is a loopback
  name: a web page the browser visits cannot reach it through a name it controls (DNS
  rebinding).
- Every action is a POST carrying this process's CSRF token (a hidden form field, or the
  ``X-CSRF-Token`` header htmx sends): the token is in the pages, which another site's page
  cannot read, so a forged form cannot act. A request authenticated by its Authorization
  header needs none (no browser adds that header by itself). ``--read-only`` refuses every
  action with 403.
- Every response says: no framing, no sniffing, no referrer, scripts and styles from this
  server only, and no caching of pages.

The token is compared in constant time and never written to a page, a header or a log.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import FormData, Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from elt.errors import ConfigError

__all__ = [
    "COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "MIN_TOKEN_LENGTH",
    "TOKEN_VARIABLE",
    "Endpoint",
    "Guard",
    "GuardMiddleware",
    "action",
    "check_bind",
    "is_loopback",
    "login_form_posted",
    "safe_next",
]

TOKEN_VARIABLE = "ELT_UI_TOKEN"
MIN_TOKEN_LENGTH = 16
COOKIE = "elt_ui_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
# what a browser may load: everything from this server only; no inline script or style
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
_PUBLIC_PREFIXES = ("/static/",)
_LOGIN = "/login"
_WRONG_TOKEN_PAUSE = 0.3


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is reachable from this machine only."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve on ``host`` without a ``token`` unless it is a loopback address, and
    a token too short to resist guessing (ConfigError, exit 78)."""
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"the elt ui token is {len(token)} characters long; at least {MIN_TOKEN_LENGTH} "
            "are needed",
            hint=f"Set {TOKEN_VARIABLE} to a long random value, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`",
        )
    if token is None and not is_loopback(host):
        raise ConfigError(
            f"elt ui would listen on {host}, where other machines can reach it, without a "
            "token: anyone could start runs and change state",
            hint=f"Set {TOKEN_VARIABLE} (or --token) to a long random value, e.g. the output "
            "of `python -c 'import secrets; print(secrets.token_urlsafe(32))'`, or bind "
            "127.0.0.1 and reach it through an SSH tunnel",
        )


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of this site only, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


@dataclass(frozen=True)
class Guard:
    """This process's secrets: the token asked for (None: no login), the value of the login
    cookie and the CSRF token, both random per process; and whether the Host header must be
    a loopback name."""

    token: str | None
    loopback: bool
    read_only: bool = False
    session: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    def bearer(self, headers: Headers) -> bool:
        """Whether the request carries the token in its Authorization header."""
        if self.token is None:
            return False
        scheme, _, value = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and _same(value.strip(), self.token)

    def logged_in(self, headers: Headers) -> bool:
        """Whether the request may see the page: no token asked, its header, or its cookie."""
        if self.token is None or self.bearer(headers):
            return True
        morsel = SimpleCookie(headers.get("cookie", "")).get(COOKIE)
        return morsel is not None and _same(morsel.value, self.session)

    def host_allowed(self, headers: Headers) -> bool:
        """On a loopback bind, only a loopback name in the Host header (no DNS rebinding)."""
        if not self.loopback:
            return True
        host = headers.get("host", "")
        name = host.rpartition("]")[0] + "]" if host.startswith("[") else host.partition(":")[0]
        return is_loopback(name)

    def csrf_ok(self, headers: Headers, form: Mapping[str, Any]) -> bool:
        """Whether an action carries this process's CSRF token (or the bearer token)."""
        if self.bearer(headers):
            return True
        sent = headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
        return isinstance(sent, str) and _same(sent, self.csrf)

    def login(self, form: Mapping[str, Any]) -> bool:
        """Whether the login form's token is the right one."""
        given = form.get("token")
        return self.token is not None and isinstance(given, str) and _same(given, self.token)

    def login_cookie(self, response: Response, *, secure: bool) -> None:
        response.set_cookie(
            COOKIE, self.session, httponly=True, samesite="strict", secure=secure, path="/"
        )


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


Endpoint = Callable[[Request, FormData], Awaitable[Response]]


def action(
    guard_of: Callable[[Request], Guard],
) -> Callable[[Endpoint], Callable[[Request], Awaitable[Response]]]:
    """Make ``endpoint`` an action: refused in read-only mode and without the CSRF token
    (403, before the endpoint sees anything); it gets the parsed form."""

    def wrap(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def checked(request: Request) -> Response:
            guard = guard_of(request)
            if guard.read_only:
                return PlainTextResponse("elt ui is read-only: actions are off", 403)
            async with request.form() as form:
                if not guard.csrf_ok(request.headers, form):
                    return PlainTextResponse(
                        "refused: the form is stale or did not come from this page (CSRF "
                        "token missing or wrong); reload the page and try again",
                        403,
                    )
                return await endpoint(request, form)

        checked.__name__ = endpoint.__name__
        checked.__doc__ = endpoint.__doc__
        return checked

    return wrap


async def login_form_posted(request: Request, guard: Guard) -> Response | None:
    """The answer to a posted login form: a redirect with the cookie, or None when the token
    is wrong (after a pause that makes guessing slow)."""
    async with request.form() as form:
        if guard.login(form):
            target = form.get("next")
            response = RedirectResponse(safe_next(target if isinstance(target, str) else None), 303)
            guard.login_cookie(response, secure=request.url.scheme == "https")
            return response
    await asyncio.sleep(_WRONG_TOKEN_PAUSE)
    return None


Refusal = Callable[[Scope, int], Awaitable[Response]]


class GuardMiddleware:
    """Checks the Host and the token of every request but the login page and static files,
    and adds the security headers to every response. ``refusal(scope, status)`` is the page
    a refused request gets (the login form for a 401)."""

    def __init__(self, app: ASGIApp, *, guard: Guard, refusal: Refusal) -> None:
        self.app = app
        self.guard = guard
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path: str = scope["path"]
        status = None
        if not self.guard.host_allowed(headers):
            status = 421  # misdirected: not a name this server answers to
        elif not (
            path == _LOGIN or path.startswith(_PUBLIC_PREFIXES) or self.guard.logged_in(headers)
        ):
            status = 401
        if status is not None:
            response = await self.refusal(scope, status)
            await response(scope, receive, _with_headers(send, static=False))
            return
        await self.app(scope, receive, _with_headers(send, static=path.startswith("/static/")))


def _with_headers(send: Send, *, static: bool) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            names = {name.lower() for name, _ in headers}
            extra = {
                b"content-security-policy": CONTENT_SECURITY_POLICY.encode(),
                b"x-frame-options": b"DENY",
                b"x-content-type-options": b"nosniff",
                b"referrer-policy": b"no-referrer",
            }
            if not static:
                extra[b"cache-control"] = b"no-store"
            headers += [(name, value) for name, value in extra.items() if name not in names]
            message = {**message, "headers": headers}
        await send(message)

    return sending
