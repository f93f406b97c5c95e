from __future__ import annotations

import pytest

from elt.protocol import is_secret_name, redact_credentials


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "key",
        "KEY",
        "api_key",
        "X-API-Key",
        "apikey",
        "access_token",
        "auth_token",
        "client_secret",
        "private_key",
        "Authorization",
        "signature",
        "sig",
        "Cookie",
        "connection_string",
        "db_pwd",
    ],
)
def test_names_of_secrets(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "key_properties",
        "primary_key",
        "replication_key",
        "token_url",
        "credentials_path",
        "api_key_param",
        "max_tokens",
        "page",
        "keys",
        "username",
    ],
)
def test_names_that_are_not_secrets(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Authorization: Basic YWRhOmh1bnRlcjI=", "Authorization: Basic ********"),
        ("authorization: bearer eyJhbGciOi.x.y", "authorization: bearer ********"),
        ('{"access_token": "tok-123", "expires_in": 3600}', '{"access_token": "********", "expires_in": 3600}'),
        ("GET /x?key=abc123&page=2", "GET /x?key=********&page=2"),
        ("{'password': 'hunter2'}", "{'password': '********'}"),
        ('{\\"refresh_token\\": \\"r-9\\"}', '{\\"refresh_token\\": \\"********\\"}'),
        ("client_secret=s&client_id=app", "client_secret=********&client_id=app"),
        ("key_properties: [id]; page=3; token_url=https://x/t", "key_properties: [id]; page=3; token_url=https://x/t"),
        ("a Basic question", "a Basic question"),
    ],
)  # fmt: skip
def test_credentials_are_hidden_by_their_place(text: str, shown: str) -> None:
    assert redact_credentials(text) == shown
