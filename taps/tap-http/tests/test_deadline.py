"""``timeout`` bounds a whole response, not each read: a trickling server cannot hold the tap."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from tap_http.deadline import Watchdog

from elt.errors import ServiceError
from tests.fixtures.apiserver import ApiServer, Reply

SCHEMA = {"properties": {"id": {"type": "integer"}}}
ROWS = [{"id": i} for i in range(20)]


def _config(url: str, **top: Any) -> dict[str, Any]:
    return {
        "api_url": url,
        "backoff_factor": 0.01,
        "streams": [{"name": "items", "path": "/items", "schema": SCHEMA}],
        **top,
    }


def test_a_server_trickling_a_byte_a_second_ends_the_run_with_75_within_the_timeout(
    api: ApiServer, run_tap
) -> None:
    api.routes["/items"] = lambda r: Reply(body=ROWS, trickle=1.0)
    started = time.monotonic()
    run = run_tap(_config(api.url, timeout=2, max_tries=1))
    elapsed = time.monotonic() - started
    assert run.code == 75, run.stderr
    assert "no complete response within the timeout of 2s" in run.stderr
    assert "could not connect" not in run.stderr
    assert elapsed < 2 + 10  # the timeout, and the start-up of a Python process
    assert "Traceback" not in run.stderr


def test_each_try_gets_the_timeout_and_then_the_run_ends(api: ApiServer, sync) -> None:
    api.routes["/items"] = lambda r: Reply(body=ROWS, trickle=0.1)
    started = time.monotonic()
    with pytest.raises(ServiceError, match=r"gave up after 2 tries: no complete response"):
        sync(_config(api.url, timeout=0.5, max_tries=2))
    assert 1.0 <= time.monotonic() - started < 3.0
    assert len(api.hits("/items")) == 2


@pytest.fixture
def https_api(certificate: tuple[str, str]) -> Iterator[ApiServer]:
    server = ApiServer(tls=certificate)
    yield server
    server.stop()


def test_the_deadline_holds_over_tls_too(
    https_api: ApiServer, certificate: tuple[str, str], sync
) -> None:
    https_api.routes["/items"] = lambda r: Reply(body=ROWS, trickle=0.1)
    started = time.monotonic()
    with pytest.raises(ServiceError, match=r"no complete response within the timeout of 0\.5s"):
        sync(_config(https_api.url, timeout=0.5, max_tries=1, ca_bundle=certificate[0]))
    assert time.monotonic() - started < 2.0


def test_fast_responses_on_a_reused_connection_are_never_cut(api: ApiServer, sync) -> None:
    """Pages keep coming for longer than the timeout: each request has its own deadline."""

    def pages(request: Any) -> Reply:
        number = int(request.query["page"])
        return Reply(body=ROWS[number : number + 2] if number <= 12 else [], delay=0.1)

    api.routes["/items"] = pages
    run = sync(_config(api.url, timeout=0.5, max_tries=1, pagination={"style": "page"}))
    assert len(run.records()) == 24


def test_the_watchdog_marks_an_exchange_that_outlives_its_deadline() -> None:
    watchdog = Watchdog()
    with watchdog.limit(0.1) as slow:
        time.sleep(0.3)
    with watchdog.limit(5) as quick:
        pass
    assert slow.expired
    assert not quick.expired
