"""HTTPS: certificates are checked by default, against a private CA when one is given."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.apiserver import ApiServer, Reply


@pytest.fixture
def https_api(certificate: tuple[str, str]) -> Iterator[ApiServer]:
    server = ApiServer(tls=certificate)
    server.routes["/items"] = lambda r: Reply(body=[{"id": 1}])
    yield server
    server.stop()


def _config(api: ApiServer, **settings: Any) -> dict[str, Any]:
    return {
        "api_url": api.url,
        "max_tries": 1,
        "streams": [
            {
                "name": "items",
                "path": "/items",
                "schema": {"properties": {"id": {"type": "integer"}}},
            }
        ],
        **settings,
    }


def test_an_unknown_certificate_is_refused_as_configuration_never_retried(
    https_api: ApiServer, run_tap
) -> None:
    assert https_api.url.startswith("https://")
    run = run_tap(_config(https_api, max_tries=3))
    assert run.code == 78, run.stderr
    assert "TLS certificate was not accepted (self-signed certificate)" in run.stderr
    assert "ca_bundle" in run.stderr
    assert "Traceback" not in run.stderr
    assert https_api.connections == 1


def test_a_private_ca_given_as_ca_bundle_is_trusted(
    https_api: ApiServer, certificate: tuple[str, str], run_tap
) -> None:
    run = run_tap(_config(https_api, ca_bundle=certificate[0]))
    assert run.code == 0, run.stderr
    assert run.records("items") == [{"id": 1}]


def test_verify_ssl_false_skips_the_check(https_api: ApiServer, run_tap) -> None:
    run = run_tap(_config(https_api, verify_ssl=False))
    assert run.code == 0, run.stderr
    assert run.records("items") == [{"id": 1}]


def test_ca_bundle_does_not_turn_a_disabled_check_back_on(
    https_api: ApiServer, tmp_path: Path, run_tap
) -> None:
    other = tmp_path / "unrelated.pem"
    other.write_text("")
    run = run_tap(_config(https_api, verify_ssl=False, ca_bundle=str(other)))
    assert run.code == 0, run.stderr
