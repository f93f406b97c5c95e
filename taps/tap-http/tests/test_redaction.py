"""No secret reaches stderr in any form: an API echoing the request it refused — basic auth's
base64, the fetched OAuth2 token, a URL-encoded key — is quoted with them redacted."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from tap_http.redaction import Redactor, config_secrets

from tests.fixtures.apiserver import ApiServer, Reply, Request
from tests.fixtures.hostile import basic_credentials, forms

SCHEMA = {"properties": {"id": {"type": "integer"}}}
PASSWORD = "pa55/w+rd SECRET"
KEY = "k3y/with+plus=SECRET"
TOKEN = "oauth-token-SECRET"


def _echo(status: int) -> Any:
    """A route refusing every request with a body that repeats it: headers, URL, query."""

    def route(request: Request) -> Reply:
        echoed = "\n".join(f"{name}: {value}" for name, value in request.headers.items())
        raw = f"refused {request.target} ({quote(request.target, safe='')})\n{echoed}"
        return Reply(status, raw=raw.encode(), headers={"Content-Type": "text/plain"})

    return route


def _config(api: ApiServer, auth: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "api_url": api.url,
        "auth": auth,
        "backoff_factor": 0.01,
        "max_tries": 2,
        "streams": [{"name": "items", "path": "/items", "schema": SCHEMA}],
        **top,
    }


CASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "basic": (
        {"type": "basic", "username": "ann", "password": PASSWORD},
        [PASSWORD, basic_credentials("ann", PASSWORD)],
    ),
    "api_key_query": (
        {"type": "api_key", "name": "apikey", "api_key": KEY, "location": "query"},
        [KEY],
    ),
    "api_key_header": ({"type": "api_key", "name": "X-Key", "api_key": KEY}, [KEY]),
    "oauth2": (
        {
            "type": "oauth2",
            "token_url": "TOKEN_URL",
            "client_id": "ci",
            "client_secret": "cs-SECRET",
        },
        [TOKEN, "cs-SECRET"],
    ),
}


@pytest.mark.parametrize("status", [401, 503])
@pytest.mark.parametrize("kind", sorted(CASES))
def test_an_echoed_credential_never_reaches_stderr_in_any_form(
    api: ApiServer, run_tap, kind: str, status: int
) -> None:
    auth, secrets = CASES[kind]
    if kind == "oauth2":
        auth = {**auth, "token_url": f"{api.url}/token"}
        api.routes["/token"] = lambda r: Reply(body={"access_token": TOKEN, "expires_in": 600})
    api.routes["/items"] = _echo(status)
    run = run_tap(_config(api, auth))
    assert run.code == (78 if status == 401 else 75), run.stderr
    assert f"HTTP {status}" in run.stderr
    assert "REDACTED" in run.stderr
    for secret in secrets:
        for form in forms(secret):
            assert form not in run.stderr, f"{form!r} of a {kind} secret is in stderr"


def test_a_secret_header_and_param_of_the_configuration_are_redacted_too(
    api: ApiServer, run_tap
) -> None:
    api.routes["/items"] = _echo(400)
    config = _config(api, {"type": "none"})
    config.update(headers={"X-Api-Token": "hdr-SECRET"}, params={"key": "param-SECRET"})
    run = run_tap(config)
    assert run.code == 78
    assert "hdr-SECRET" not in run.stderr
    assert "param-SECRET" not in run.stderr


def test_the_redactor_knows_every_encoded_form() -> None:
    redactor = Redactor()
    for secret in config_secrets({"auth": {"type": "basic", "username": "u", "password": "p w/"}}):
        redactor.add(secret)
    text = "p w/ p%20w%2F p+w%2F dTpwIHcv u:p w/"
    assert redactor(text) == " ".join(["REDACTED"] * 5)


def test_a_token_fetched_while_running_is_redacted_from_then_on() -> None:
    redactor = Redactor()
    assert redactor("Bearer abc123") == "Bearer abc123"
    redactor.add("abc123")
    assert redactor("Bearer abc123") == "Bearer REDACTED"
