"""Retries on 429, 5xx, timeouts and refused connections; Retry-After; the rate limit."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from tap_http.retries import RateLimiter, wait_times

from elt.errors import ConfigError, ServiceError
from tests.fixtures.apiserver import ApiServer, Reply, Request


def _failing_first(*replies: Reply) -> Any:
    queue = list(replies)

    def route(request: Request) -> Reply:
        return queue.pop(0) if queue else Reply(body=[{"id": 1}])

    return route


def test_429_waits_as_long_as_retry_after_says(api: ApiServer, sync, items_config: Any) -> None:
    api.routes["/items"] = _failing_first(
        Reply(429, {"error": "slow down"}, headers={"Retry-After": "1"})
    )
    started = time.monotonic()
    assert sync(items_config(api.url)).records() == [{"id": 1}]
    assert time.monotonic() - started >= 1.0
    assert len(api.hits("/items")) == 2


def test_server_errors_are_retried_until_one_succeeds(
    api: ApiServer, sync, items_config: Any
) -> None:
    api.routes["/items"] = _failing_first(Reply(500, {}), Reply(503, {}))
    assert sync(items_config(api.url)).records() == [{"id": 1}]
    assert len(api.hits("/items")) == 3


def test_persistent_server_errors_give_up_after_max_tries(
    api: ApiServer, sync, items_config: Any
) -> None:
    api.routes["/items"] = lambda r: Reply(502, {"error": "bad gateway"})
    with pytest.raises(ServiceError, match=r"gave up after 3 tries.*HTTP 502"):
        sync(items_config(api.url))
    assert len(api.hits("/items")) == 3


def test_a_response_slower_than_the_timeout_is_retried_then_reported(
    api: ApiServer, sync, items_config: Any
) -> None:
    api.routes["/items"] = lambda r: Reply(body=[{"id": 1}], delay=1.0)
    with pytest.raises(ServiceError, match=r"items.*timeout of 0.2s"):
        sync(items_config(api.url, timeout=0.2, max_tries=2))
    assert len(api.hits("/items")) == 2


def test_an_unreachable_host_is_a_service_error_naming_the_url(sync, items_config: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ServiceError, match=f"127.0.0.1:{port}/items.*could not connect"):
        sync(items_config(f"http://127.0.0.1:{port}", max_tries=2))


def test_a_fatal_4xx_names_status_url_and_the_start_of_the_body(
    api: ApiServer, sync, items_config: Any
) -> None:
    api.routes["/items"] = lambda r: Reply(400, raw=b"bad filter: " + b"x" * 1000)
    with pytest.raises(
        ConfigError,
        match=r"HTTP 400 .* from http://127.0.0.1:\d+/items; body: 'bad filter: x+\.\.\.'",
    ) as caught:
        sync(items_config(api.url))
    assert len(str(caught.value)) < 600
    assert len(api.hits("/items")) == 1


def test_max_requests_per_second_spaces_requests(api: ApiServer, sync, items_config: Any) -> None:
    api.routes["/items"] = lambda r: Reply(
        body=[{"id": int(r.query["page"])}] if int(r.query["page"]) < 5 else []
    )
    started = time.monotonic()
    sync(items_config(api.url, max_requests_per_second=10, pagination={"style": "page"}))
    assert len(api.hits("/items")) == 5
    assert time.monotonic() - started >= 0.4


def test_rate_limiter_without_a_limit_never_sleeps() -> None:
    limiter = RateLimiter(None)
    started = time.monotonic()
    for _ in range(100):
        limiter.wait()
    assert time.monotonic() - started < 0.05


def test_backoff_waits_double_with_jitter_and_are_capped() -> None:
    waits = wait_times(1.0, 5.0)
    next(waits)
    seen = [waits.send(RuntimeError()) for _ in range(6)]
    for attempt, wait in enumerate(seen):
        base = min(5.0, 2**attempt)
        assert base / 2 <= wait <= base
