"""Credentials stay on api_url's origin: for every auth type and every pagination style, a
redirect or a next link to another origin is followed with nothing of the configuration."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from tap_http.origins import Origins

from elt.errors import AccessError, ConfigError, ServiceError
from tests.fixtures.apiserver import ApiServer, Reply, Request
from tests.fixtures.hostile import basic_credentials, redirect, secrets_seen

OAUTH_TOKEN = "oauth-SECRET-access"
CONFIGURED = ["team-SECRET-header", "param-SECRET-value"]


def _auths(api: ApiServer) -> dict[str, tuple[dict[str, Any], list[str]]]:
    """Each auth type, and every secret it puts on the wire."""
    return {
        "bearer": ({"type": "bearer", "token": "bearer-SECRET"}, ["bearer-SECRET"]),
        "basic": (
            {"type": "basic", "username": "ann", "password": "basic-SECRET"},
            ["basic-SECRET", basic_credentials("ann", "basic-SECRET")],
        ),
        "api_key_header": (
            {"type": "api_key", "name": "X-Api-Key", "api_key": "header-key-SECRET"},
            ["header-key-SECRET"],
        ),
        "api_key_query": (
            {
                "type": "api_key",
                "name": "apikey",
                "api_key": "query-key-SECRET",
                "location": "query",
            },
            ["query-key-SECRET"],
        ),
        "oauth2": (
            {
                "type": "oauth2",
                "token_url": f"{api.url}/token",
                "client_id": "ci",
                "client_secret": "client-SECRET",
            },
            ["client-SECRET", OAUTH_TOKEN],
        ),
    }


STYLES: dict[str, dict[str, Any]] = {
    "none": {"style": "none"},
    "page": {"style": "page"},
    "offset": {"style": "offset", "page_size": 1},
    "cursor": {"style": "cursor", "cursor_path": "$.next_cursor"},
    "next_url": {"style": "next_url", "next_url_path": "$.next"},
    "link_header": {"style": "link_header"},
}


@pytest.fixture
def other() -> Iterator[ApiServer]:
    """A second server: another origin (its port differs), logging every header it sees."""
    server = ApiServer()
    yield server
    server.stop()


def _is_first(request: Request) -> bool:
    query = request.query
    return (
        query.get("page", "1") == "1"
        and query.get("offset", "0") == "0"
        and not (query.get("cursor"))
    )


def _serve(api: ApiServer, other: ApiServer, style: str) -> None:
    """api sends the client to other: a next link for the link styles, a redirect for the
    rest (the only way those styles leave the origin). api copies the whole query into the
    redirect, as careless APIs do, so a query API key would travel unless the client drops it."""
    api.routes["/token"] = lambda r: Reply(body={"access_token": OAUTH_TOKEN, "expires_in": 600})
    if style == "next_url":
        api.routes["/items"] = lambda r: Reply(
            body={"data": [{"id": 1}], "next": f"{other.url}/elsewhere"}
        )
    elif style == "link_header":
        api.routes["/items"] = lambda r: Reply(
            body={"data": [{"id": 1}]}, headers={"Link": f'<{other.url}/elsewhere>; rel="next"'}
        )
    else:
        api.routes["/items"] = lambda r: Reply(
            302, raw=b"", headers={"Location": f"{other.url}/elsewhere?{urlencode(r.query)}"}
        )
    other.routes["/elsewhere"] = lambda r: Reply(
        body={"data": [{"id": 2}] if _is_first(r) or style in ("next_url", "link_header") else []}
    )


def _config(api: ApiServer, auth: dict[str, Any], style: str, **top: Any) -> dict[str, Any]:
    return {
        "api_url": api.url,
        "auth": auth,
        "headers": {"X-Team": "team-SECRET-header"},
        "params": {"team": "param-SECRET-value"},
        "pagination": STYLES[style],
        "backoff_factor": 0.01,
        "streams": [
            {
                "name": "items",
                "path": "/items",
                "records_path": "$.data[*]",
                "schema": {"properties": {"id": {"type": "integer"}}},
            }
        ],
        **top,
    }


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("kind", ["bearer", "basic", "api_key_header", "api_key_query", "oauth2"])
def test_no_credential_or_configured_value_reaches_another_origin(
    api: ApiServer, other: ApiServer, sync, kind: str, style: str
) -> None:
    auth, secrets = _auths(api)[kind]
    _serve(api, other, style)
    run = sync(_config(api, auth, style))
    assert {"id": 2} in run.records("items")  # the link or redirect was followed
    assert other.hits("/elsewhere")
    assert secrets_seen(other, secrets + CONFIGURED) == []
    for request in other.requests:
        assert "authorization" not in request.headers
        assert "x-api-key" not in request.headers
    sent = secrets_seen(api, secrets + CONFIGURED)
    assert any("/items" in hit for hit in sent)  # the API itself got them all along


def test_allowed_hosts_trusts_another_origin_with_the_credentials(
    api: ApiServer, other: ApiServer, sync
) -> None:
    auth, _ = _auths(api)["bearer"]
    _serve(api, other, "next_url")
    run = sync(_config(api, auth, "next_url", allowed_hosts=[other.url]))
    assert run.records("items") == [{"id": 1}, {"id": 2}]
    assert other.hits("/elsewhere")[0].headers["authorization"] == "Bearer bearer-SECRET"
    assert other.hits("/elsewhere")[0].query == {"team": "param-SECRET-value"}


def test_a_redirect_to_another_origin_that_would_resend_the_body_is_refused(
    api: ApiServer, other: ApiServer, sync
) -> None:
    api.routes["/items"] = redirect(f"{other.url}/elsewhere", status=307)
    config = _config(api, {"type": "bearer", "token": "bearer-SECRET"}, "none")
    config["streams"][0].update(method="POST", body={"filter": "team-SECRET-header"})
    with pytest.raises(ConfigError, match=r"HTTP 307.*allowed_hosts"):
        sync(config)
    assert other.requests == []


def test_a_redirect_loop_is_a_service_error_not_a_hang(api: ApiServer, sync) -> None:
    api.routes["/items"] = redirect(f"{api.url}/again")
    api.routes["/again"] = redirect(f"{api.url}/items")
    with pytest.raises(ServiceError, match="redirects loop"):
        sync(_config(api, {"type": "bearer", "token": "t"}, "none", max_tries=1))
    assert len(api.requests) <= 4


def test_a_refusal_from_another_origin_says_it_got_no_credentials(
    api: ApiServer, other: ApiServer, sync
) -> None:
    api.routes["/items"] = redirect(f"{other.url}/elsewhere")
    other.routes["/elsewhere"] = lambda r: Reply(401, {"error": "who are you"})
    with pytest.raises(AccessError, match=r"sends no credentials to http://127\.0\.0\.1:\d+"):
        sync(_config(api, {"type": "bearer", "token": "t"}, "none"))


def test_a_stream_configured_on_another_origin_gets_nothing_and_says_so(
    api: ApiServer, other: ApiServer, run_tap
) -> None:
    """Its pages are still walked: the page position is not configuration."""
    other.routes["/elsewhere"] = lambda r: Reply(
        body={"data": [{"id": int(r.query["page"])}] if r.query["page"] in ("1", "2") else []}
    )
    config = _config(api, {"type": "bearer", "token": "bearer-SECRET"}, "page")
    config["streams"][0]["path"] = f"{other.url}/elsewhere"
    run = run_tap(config)
    assert run.code == 0, run.stderr
    assert run.records("items") == [{"id": 1}, {"id": 2}]
    assert [r.query for r in other.requests] == [{"page": "1"}, {"page": "2"}, {"page": "3"}]
    assert "not api_url's origin" in run.stderr
    assert "allowed_hosts" in run.stderr
    assert secrets_seen(other, ["bearer-SECRET", *CONFIGURED]) == []


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://api.test/v1/x?page=2", True),
        ("https://API.test:443/other", True),
        ("http://api.test/v1", False),  # another scheme is another origin
        ("https://api.test:8443/v1", False),
        ("https://evil.test/v1", False),
        ("https://api.test.evil.test/v1", False),
        ("https://files.test/download", True),
        ("http://cdn.test:8080/x", True),
        ("https://cdn.test:8080/x", False),
    ],
)
def test_origins_compare_scheme_host_and_port(url: str, trusted: bool) -> None:
    origins = Origins("https://api.test/v1", ["files.test", "http://cdn.test:8080"])
    assert origins.trusts(url) is trusted


@pytest.mark.parametrize("entry", ["https://files.test/path", "user@files.test", "ftp://x.test"])
def test_an_allowed_host_that_is_not_an_origin_is_refused(entry: str) -> None:
    with pytest.raises(ConfigError, match="allowed_hosts"):
        Origins("https://api.test", [entry])
