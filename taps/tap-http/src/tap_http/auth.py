"""Authenticators for the ``auth`` setting, on singer-sdk's authenticator classes.

One authenticator is made per tap and shared by its streams, so an OAuth2 token is fetched
once and refreshed for all of them. The token is refreshed ``refresh_margin`` seconds
before it expires (singer-sdk's own check only refreshes after expiry, so a request sent
in the last second of a token's life fails with 401).

The token request goes through the tap's :class:`~tap_http.transport.Transport` (its CA
bundle, timeout, size limit and failure rule), and its answer is checked: an endpoint that
answers 200 with ``{}``, a list or an HTML page is a configuration error naming the token
URL and what was expected, not a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import requests
from singer_sdk.authenticators import (
    APIAuthenticatorBase,
    APIKeyAuthenticator,
    BasicAuthenticator,
    BearerTokenAuthenticator,
    OAuthAuthenticator,
    SimpleAuthenticator,
)
from singer_sdk.helpers._util import utc_now

from elt.errors import ConfigError, EltError
from elt.protocol import loads_exact
from tap_http.transport import TransientError, Transport

__all__ = ["ClientCredentials", "make_authenticator", "secret_query_params"]

AUTH_TYPES = ("none", "bearer", "basic", "api_key", "oauth2")

# Seconds before expiry at which a token is replaced.
REFRESH_MARGIN = 60


class ClientCredentials(OAuthAuthenticator):
    """OAuth2 client-credentials grant, refreshing the token before it expires."""

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        scopes: str | None,
        transport: Transport,
    ) -> None:
        super().__init__(
            auth_endpoint=token_url,
            oauth_scopes=scopes,
            client_id=client_id,
            client_secret=client_secret,
        )
        self.transport = transport

    @property
    def oauth_request_body(self) -> dict[str, Any]:
        body = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        if self.oauth_scopes:
            body["scope"] = self.oauth_scopes
        return body

    def update_access_token(self) -> None:
        """Ask the token endpoint for a token; every way it can fail is one elt error."""
        where = f"auth.token_url {self.transport.show(self.auth_endpoint)}"
        request = self.transport.session.prepare_request(
            requests.Request(
                "POST",
                self.auth_endpoint,
                data=self.oauth_request_body,
                headers={"Accept": "application/json"},
            )
        )
        requested = utc_now()
        try:
            response = self.transport.send(request, own_origin=True)
        except TransientError:
            raise  # retried with the request that needed the token
        except EltError as exc:
            exc.message = f"the OAuth2 token endpoint refused the request: {exc.message}"
            exc.where = where
            exc.hint = "Check auth.token_url, auth.client_id, auth.client_secret and auth.scopes."
            raise
        token, expires_in = _token_of(response, where)
        self.transport.redactor.add(token)
        self.access_token = token
        self.expires_in = expires_in
        self.last_refreshed = requested

    def is_token_valid(self) -> bool:
        if self.last_refreshed is None:
            return False
        if not self.expires_in:
            return True
        margin = min(REFRESH_MARGIN, self.expires_in / 10)
        expiry = self.last_refreshed + timedelta(seconds=self.expires_in - margin)
        return bool(utc_now() < expiry)


def _token_of(response: requests.Response, where: str) -> tuple[str, int | None]:
    """The access token and its lifetime in a token endpoint's answer, or a ConfigError
    saying what the answer was instead."""
    expected = 'expected a JSON object such as {"access_token": "...", "expires_in": 3600}'
    try:
        body = loads_exact(response.content)
    except ValueError:
        start = response.content[:80].decode(errors="replace")
        raise ConfigError(
            f"the OAuth2 token endpoint answered HTTP {response.status_code} with a body that "
            f"is not JSON (it starts {start!r}); {expected}",
            where=where,
            hint="Check auth.token_url: it must be the API's OAuth2 token endpoint.",
        ) from None
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        what = (
            f"a JSON object without a string access_token (keys: {sorted(body)})"
            if isinstance(body, dict)
            else f"a JSON {_json_kind(body)}"
        )
        raise ConfigError(
            f"the OAuth2 token endpoint answered HTTP {response.status_code} with {what}; "
            f"{expected}",
            where=where,
            hint="Check auth.token_url: it must be the API's OAuth2 token endpoint.",
        )
    lifetime = body.get("expires_in")
    try:
        expires_in = int(lifetime) if lifetime is not None else None
    except (TypeError, ValueError):
        expires_in = None  # an unreadable lifetime: the token is used until it is refused
    return body["access_token"], expires_in


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    return "null" if value is None else type(value).__name__


def _need(auth: Mapping[str, Any], *names: str) -> list[str]:
    missing = [name for name in names if not auth.get(name)]
    if missing:
        raise ConfigError(
            f"auth type {auth.get('type')!r} needs {', '.join(missing)}",
            where="auth",
        )
    return [str(auth[name]) for name in names]


def make_authenticator(
    auth: Mapping[str, Any] | None, transport: Transport
) -> APIAuthenticatorBase:
    """The authenticator the ``auth`` setting describes (none when unset); an OAuth2 token
    is requested through ``transport``."""
    kind = (auth or {}).get("type", "none")
    if not auth or kind == "none":
        return SimpleAuthenticator()
    if kind == "bearer":
        (token,) = _need(auth, "token")
        return BearerTokenAuthenticator(token=token)
    if kind == "basic":
        username, password = _need(auth, "username", "password")
        return BasicAuthenticator(username=username, password=password)
    if kind == "api_key":
        name, value = _need(auth, "name", "api_key")
        location = auth.get("location", "header")
        return APIKeyAuthenticator(
            key=name, value=value, location="params" if location == "query" else "header"
        )
    if kind == "oauth2":
        token_url, client_id, client_secret = _need(auth, "token_url", "client_id", "client_secret")
        return ClientCredentials(
            token_url=token_url,
            client_id=client_id,
            client_secret=client_secret,
            scopes=auth.get("scopes"),
            transport=transport,
        )
    raise ConfigError(f"auth type {kind!r} is not one of {', '.join(AUTH_TYPES)}", where="auth")


def secret_query_params(auth: Mapping[str, Any] | None) -> dict[str, str]:
    """The query parameters the authenticator adds (name -> secret value): redacted from
    URLs in messages, and never sent to an untrusted origin."""
    if auth and auth.get("type") == "api_key" and auth.get("location") == "query":
        return {str(auth["name"]): str(auth.get("api_key") or "")}
    return {}
