"""Authenticators for the ``auth`` setting, on singer-sdk's authenticator classes.

One authenticator is made per tap and shared by its streams, so an OAuth2 token is fetched
once and refreshed for all of them. The token is refreshed ``refresh_margin`` seconds
before it expires (singer-sdk's own check only refreshes after expiry, so a request sent
in the last second of a token's life fails with 401).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from singer_sdk.authenticators import (
    APIAuthenticatorBase,
    APIKeyAuthenticator,
    BasicAuthenticator,
    BearerTokenAuthenticator,
    OAuthAuthenticator,
    SimpleAuthenticator,
)
from singer_sdk.helpers._util import utc_now

from elt.errors import ConfigError

__all__ = ["ClientCredentials", "make_authenticator", "secret_query_params"]

AUTH_TYPES = ("none", "bearer", "basic", "api_key", "oauth2")

# Seconds before expiry at which a token is replaced.
REFRESH_MARGIN = 60


class ClientCredentials(OAuthAuthenticator):
    """OAuth2 client-credentials grant, refreshing the token before it expires."""

    def __init__(
        self, *, token_url: str, client_id: str, client_secret: str, scopes: str | None
    ) -> None:
        super().__init__(
            auth_endpoint=token_url,
            oauth_scopes=scopes,
            client_id=client_id,
            client_secret=client_secret,
        )

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
        """singer-sdk's token request, with a refusal reported as a configuration error."""
        try:
            super().update_access_token()
        except RuntimeError as exc:
            raise ConfigError(
                f"the OAuth2 token endpoint refused the client credentials ({exc})",
                where=f"auth.token_url {self.auth_endpoint}",
                hint="Check auth.client_id, auth.client_secret and auth.scopes.",
            ) from exc

    def is_token_valid(self) -> bool:
        if self.last_refreshed is None:
            return False
        if not self.expires_in:
            return True
        margin = min(REFRESH_MARGIN, self.expires_in / 10)
        expiry = self.last_refreshed + timedelta(seconds=self.expires_in - margin)
        return bool(utc_now() < expiry)


def _need(auth: Mapping[str, Any], *names: str) -> list[str]:
    missing = [name for name in names if not auth.get(name)]
    if missing:
        raise ConfigError(
            f"auth type {auth.get('type')!r} needs {', '.join(missing)}",
            where="auth",
        )
    return [str(auth[name]) for name in names]


def make_authenticator(auth: Mapping[str, Any] | None) -> APIAuthenticatorBase:
    """The authenticator the ``auth`` setting describes (none when unset)."""
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
        )
    raise ConfigError(f"auth type {kind!r} is not one of {', '.join(AUTH_TYPES)}", where="auth")


def secret_query_params(auth: Mapping[str, Any] | None) -> dict[str, str]:
    """The query parameters the authenticator adds (name -> secret value): redacted from
    URLs in messages, and never sent to an untrusted origin."""
    if auth and auth.get("type") == "api_key" and auth.get("location") == "query":
        return {str(auth["name"]): str(auth.get("api_key") or "")}
    return {}
