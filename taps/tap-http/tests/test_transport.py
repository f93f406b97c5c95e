"""How a failed request is classified: one rule, each case on the real local server."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from elt.errors import AccessError, ConfigError, ServiceError
from tests.fixtures.apiserver import ApiServer, Reply


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("status", [401, 403, 404])
def test_refused_credentials_and_missing_endpoints_are_access_errors_never_retried(
    api: ApiServer, sync, status: int, items_config: Any
) -> None:
    api.routes["/items"] = lambda r: Reply(status, {"error": "no"})
    with pytest.raises(AccessError, match=f"HTTP {status}"):
        sync(items_config(api.url))
    assert len(api.hits("/items")) == 1


@pytest.mark.parametrize("status", [400, 405, 409, 422])
def test_other_client_errors_are_configuration_errors_never_retried(
    api: ApiServer, sync, status: int, items_config: Any
) -> None:
    api.routes["/items"] = lambda r: Reply(status, {"error": "bad request"})
    with pytest.raises(ConfigError, match=f"HTTP {status}") as caught:
        sync(items_config(api.url))
    assert not isinstance(caught.value, AccessError)
    assert len(api.hits("/items")) == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503, 408])
def test_server_errors_and_throttling_are_service_errors_after_every_try(
    api: ApiServer, sync, status: int, items_config: Any
) -> None:
    api.routes["/items"] = lambda r: Reply(status, {"error": "later"})
    with pytest.raises(ServiceError, match=f"gave up after 3 tries: HTTP {status}"):
        sync(items_config(api.url))
    assert len(api.hits("/items")) == 3


@pytest.mark.parametrize(
    ("status", "code"), [(401, 78), (403, 78), (404, 78), (400, 78), (503, 75), (429, 75)]
)
def test_the_executable_exits_with_the_class_of_the_failure(
    api: ApiServer, run_tap, status: int, code: int, items_config: Any
) -> None:
    api.routes["/items"] = lambda r: Reply(status, {"error": "no"})
    run = run_tap(items_config(api.url, max_tries=2))
    assert run.code == code, run.stderr
    assert f"HTTP {status}" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_refused_connection_exits_75_naming_the_url(run_tap, items_config: Any) -> None:
    port = _free_port()
    run = run_tap(items_config(f"http://127.0.0.1:{port}", max_tries=2))
    assert run.code == 75, run.stderr
    assert f"127.0.0.1:{port}/items" in run.stderr
    assert "could not connect" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_timeout_exits_75(api: ApiServer, run_tap, items_config: Any) -> None:
    api.routes["/items"] = lambda r: Reply(body=[{"id": 1}], delay=1.0)
    run = run_tap(items_config(api.url, timeout=0.2, max_tries=1))
    assert run.code == 75, run.stderr
    assert "timeout of 0.2s" in run.stderr


def test_a_connection_broken_mid_body_is_not_could_not_connect(
    api: ApiServer, sync, items_config: Any
) -> None:
    api.routes["/items"] = lambda r: Reply(raw=b'[{"id": 1}', headers={"Content-Length": "900"})
    with pytest.raises(ServiceError, match="connection broke before the whole response") as caught:
        sync(items_config(api.url, max_tries=1))
    assert "could not connect" not in str(caught.value)


def test_a_body_that_stalls_past_the_timeout_is_not_could_not_connect(
    api: ApiServer, run_tap, items_config: Any
) -> None:
    api.routes["/items"] = lambda r: Reply(body=[{"id": i} for i in range(50)], trickle=0.05)
    run = run_tap(items_config(api.url, timeout=1, max_tries=1))
    assert run.code == 75, run.stderr
    assert "no complete response within the timeout of 1s" in run.stderr
    assert "could not connect" not in run.stderr


def test_headers_cut_short_are_a_broken_response_not_an_empty_page(
    api: ApiServer, sync, items_config: Any
) -> None:
    """http.client parses headers that end early as a complete, empty 200 response."""
    api.routes["/items"] = lambda r: Reply(raw=b"", headers={"Content-Ty": "x\r\nbroken"})
    with pytest.raises(ServiceError, match="headers were cut short or malformed"):
        sync(items_config(api.url, max_tries=1))
