"""Each auth style as the real server sees it, and the OAuth2 token refreshed before expiry."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from tap_http.auth import ClientCredentials
from tap_http.origins import Origins
from tap_http.transport import Transport

from elt.errors import AccessError, ConfigError, ServiceError
from tests.fixtures.apiserver import ApiServer, Reply, Request

SCHEMA = {"properties": {"id": {"type": "integer"}}}


def _config(api: ApiServer, auth: dict[str, Any]) -> dict[str, Any]:
    return {
        "api_url": api.url,
        "auth": auth,
        "streams": [{"name": "items", "path": "/items", "schema": SCHEMA}],
    }


def _guarded(check: Any) -> Any:
    def route(request: Request) -> Reply:
        if not check(request):
            return Reply(401, {"error": "unauthorized"})
        return Reply(body=[{"id": 1}])

    return route


def test_bearer_token_is_sent_in_the_authorization_header(api: ApiServer, sync) -> None:
    api.routes["/items"] = _guarded(lambda r: r.headers.get("authorization") == "Bearer t0k")
    assert sync(_config(api, {"type": "bearer", "token": "t0k"})).records() == [{"id": 1}]


def test_basic_auth_sends_encoded_credentials(api: ApiServer, sync) -> None:
    expected = "Basic " + base64.b64encode(b"ann:pa55").decode()
    api.routes["/items"] = _guarded(lambda r: r.headers.get("authorization") == expected)
    config = _config(api, {"type": "basic", "username": "ann", "password": "pa55"})
    assert sync(config).records() == [{"id": 1}]


def test_api_key_goes_in_the_named_header(api: ApiServer, sync) -> None:
    api.routes["/items"] = _guarded(lambda r: r.headers.get("x-api-key") == "k3y")
    config = _config(api, {"type": "api_key", "name": "X-Api-Key", "api_key": "k3y"})
    assert sync(config).records() == [{"id": 1}]


def test_api_key_goes_in_the_query_when_asked(api: ApiServer, sync) -> None:
    api.routes["/items"] = _guarded(lambda r: r.query.get("apikey") == "k3y")
    config = _config(
        api, {"type": "api_key", "name": "apikey", "api_key": "k3y", "location": "query"}
    )
    assert sync(config).records() == [{"id": 1}]


def test_refused_credentials_are_a_config_error_without_the_secret(api: ApiServer, sync) -> None:
    api.routes["/items"] = _guarded(lambda r: False)
    config = _config(
        api, {"type": "api_key", "name": "apikey", "api_key": "s3cret", "location": "query"}
    )
    with pytest.raises(ConfigError, match=r"HTTP 401.*apikey=REDACTED") as caught:
        sync(config)
    assert "s3cret" not in str(caught.value)
    assert "credentials" in str(caught.value)


def _token_endpoint(api: ApiServer, expires_in: int) -> list[str]:
    issued: list[str] = []

    def token(request: Request) -> Reply:
        form = dict(pair.split("=") for pair in request.body.decode().split("&"))
        if form.get("client_secret") != "cs" or form.get("grant_type") != "client_credentials":
            return Reply(401, {"error": "invalid_client"})
        issued.append(f"token-{len(issued)}")
        return Reply(body={"access_token": issued[-1], "expires_in": expires_in})

    api.routes["/token"] = token
    return issued


def test_oauth2_client_credentials_fetch_one_token_for_all_streams(api: ApiServer, sync) -> None:
    issued = _token_endpoint(api, expires_in=3600)
    api.routes["/items"] = _guarded(lambda r: r.headers.get("authorization") == "Bearer token-0")
    config = _config(
        api,
        {
            "type": "oauth2",
            "token_url": f"{api.url}/token",
            "client_id": "ci",
            "client_secret": "cs",
        },
    )
    config["streams"].append({"name": "more", "path": "/items", "schema": SCHEMA})
    run = sync(config)
    assert len(run.records("items")) == 1
    assert len(run.records("more")) == 1
    assert issued == ["token-0"]


def test_oauth2_token_is_refreshed_before_it_expires(api: ApiServer) -> None:
    issued = _token_endpoint(api, expires_in=1)
    auth = ClientCredentials(
        token_url=f"{api.url}/token",
        client_id="ci",
        client_secret="cs",
        scopes=None,
        transport=Transport(origins=Origins(api.url), timeout=5, verify=True),
    )
    auth.update_access_token()
    assert auth.is_token_valid()
    time.sleep(0.95)  # 0.05s of life left: inside the refresh margin of 0.1s
    assert not auth.is_token_valid()
    auth.update_access_token()
    assert issued == ["token-0", "token-1"]


def test_oauth2_refused_client_is_a_config_error(api: ApiServer, sync) -> None:
    _token_endpoint(api, expires_in=60)
    config = _config(
        api,
        {
            "type": "oauth2",
            "token_url": f"{api.url}/token",
            "client_id": "ci",
            "client_secret": "no",
        },
    )
    with pytest.raises(ConfigError, match="token"):
        sync(config)


def test_auth_type_without_its_secret_is_a_config_error(api: ApiServer, sync) -> None:
    with pytest.raises(ConfigError, match="needs token"):
        sync(_config(api, {"type": "bearer"}))


def _oauth2(api: ApiServer) -> dict[str, Any]:
    return _config(
        api,
        {
            "type": "oauth2",
            "token_url": f"{api.url}/token",
            "client_id": "ci",
            "client_secret": "cs-SECRET",
        },
    )


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (Reply(body={}), "a JSON object without a string access_token (keys: [])"),
        (Reply(body={"token": "x"}), "without a string access_token (keys: ['token'])"),
        (Reply(body=[{"access_token": "x"}]), "with a JSON array"),
        (
            Reply(raw=b"<html><body>Sign in</body></html>", headers={"Content-Type": "text/html"}),
            "a body that is not JSON (it starts '<html><body>Sign in",
        ),
    ],
    ids=["empty object", "no access_token", "list", "html"],
)
def test_a_token_endpoint_answering_nonsense_is_one_paragraph_exit_78(
    api: ApiServer, run_tap, answer: Reply, said: str
) -> None:
    api.routes["/token"] = lambda r: answer
    api.routes["/items"] = lambda r: Reply(body=[{"id": 1}])
    run = run_tap(_oauth2(api))
    assert run.code == 78, run.stderr
    assert f"auth.token_url {api.url}/token" in run.stderr
    assert said in run.stderr
    assert "expected a JSON object" in run.stderr
    assert "Traceback" not in run.stderr
    assert "could not connect" not in run.stderr
    assert api.hits("/items") == []
    assert len(api.hits("/token")) == 1  # not retried


def test_a_token_endpoint_refusing_the_client_is_an_access_error(api: ApiServer, sync) -> None:
    api.routes["/token"] = lambda r: Reply(401, {"error": "invalid_client"})
    with pytest.raises(AccessError, match=r"token endpoint refused the request: HTTP 401"):
        sync(_oauth2(api))
    assert len(api.hits("/token")) == 1


def test_a_failing_token_endpoint_is_retried_then_75(api: ApiServer, sync) -> None:
    api.routes["/token"] = lambda r: Reply(503, {"error": "down"})
    config = {**_oauth2(api), "max_tries": 2, "backoff_factor": 0.01}
    with pytest.raises(ServiceError, match=r"gave up after 2 tries: HTTP 503"):
        sync(config)
    assert len(api.hits("/token")) == 2


def test_the_token_endpoint_is_asked_through_the_tap_s_tls_settings(
    certificate: tuple[str, str], api: ApiServer, sync
) -> None:
    """singer-sdk asked with its own session: ca_bundle did not reach the token request."""
    https = ApiServer(tls=certificate)
    try:
        https.routes["/token"] = lambda r: Reply(body={"access_token": "tok", "expires_in": 60})
        https.routes["/items"] = lambda r: Reply(body=[{"id": 1}])
        config = {**_oauth2(https), "ca_bundle": certificate[0]}
        assert sync(config).records() == [{"id": 1}]
    finally:
        https.stop()
