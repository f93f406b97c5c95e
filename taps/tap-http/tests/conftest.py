"""Fixtures: a real local API server, and running the tap in process or as ``tap-http``.

``sync`` runs ``TapHttp`` in this process with stdout captured; ``run_tap`` runs the
installed ``tap-http`` executable in a subprocess with config and state files, as a
scheduler would. Both parse the output with elt's reader. ``certificate`` is a self-signed
certificate for HTTPS servers.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tap_http import TapHttp

from tests.fixtures.apiserver import ApiServer
from tests.fixtures.taps import TapRun, run_executable, sync_in_process

TAP = Path(sys.executable).with_name("tap-http")


Run = TapRun


@pytest.fixture
def api() -> Iterator[ApiServer]:
    server = ApiServer()
    yield server
    server.stop()


@pytest.fixture
def sync() -> Callable[..., Run]:
    """Sync ``TapHttp`` in process: ``sync(config, state=None)``."""

    def run(config: dict[str, Any], state: dict[str, Any] | None = None) -> Run:
        return sync_in_process(TapHttp(config=config, state=state))

    return run


@pytest.fixture
def run_tap(tmp_path: Path) -> Callable[..., Run]:
    """Run the ``tap-http`` executable: ``run_tap(config, state=None, *args)``."""

    def run(config: dict[str, Any], state: dict[str, Any] | None = None, *args: str) -> Run:
        return run_executable(TAP, tmp_path, config, *args, state=state)

    return run


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


ItemsConfig = Callable[..., dict[str, Any]]


@pytest.fixture
def items_config() -> ItemsConfig:
    """``items_config(api_url, **top)``: one ``items`` stream of integer ids at ``/items``,
    with quick retries (3 tries, 0.01 s backoff); ``top`` adds or replaces settings."""

    def config(api_url: str, **top: Any) -> dict[str, Any]:
        return {
            "api_url": api_url,
            "backoff_factor": 0.01,
            "max_tries": 3,
            "streams": [
                {"name": "items", "path": "/items",
                 "schema": {"properties": {"id": {"type": "integer"}}}}
            ],
            **top,
        }  # fmt: skip

    return config
