"""The real ``tap-http`` executable: --about, discovery, every pagination style, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.apiserver import ApiServer, Reply, Request

TAP = Path(sys.executable).with_name("tap-http")

ROWS = [{"id": i} for i in range(1, 6)]


def _two_per_page(request: Request, api: ApiServer) -> Reply:
    """One route speaking every pagination style, two records per page."""
    if "page" in request.query:
        start = (int(request.query["page"]) - 1) * 2
    else:
        start = int(
            request.query.get("offset")
            or request.query.get("cursor")
            or request.query.get("at")
            or 0
        )
    chunk = ROWS[start : start + 2]
    more = start + 2 < len(ROWS)
    headers = {"Link": f'<{api.url}/items?at={start + 2}>; rel="next"'} if more else {}
    body = {
        "data": chunk,
        "next_cursor": str(start + 2) if more else None,
        "next": f"/items?at={start + 2}" if more else None,
        "total": len(ROWS),
    }
    return Reply(body=body, headers=headers)


STYLES: dict[str, dict[str, Any]] = {
    "page": {"style": "page"},
    "offset": {"style": "offset", "page_size": 2},
    "cursor": {"style": "cursor", "cursor_path": "$.next_cursor"},
    "next_url": {"style": "next_url", "next_url_path": "$.next"},
    "link_header": {"style": "link_header"},
    "total": {"style": "offset", "page_size": 2, "total_path": "$.total"},
}


@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_pagination_style_end_to_end(api: ApiServer, run_tap, style: str) -> None:
    api.routes["/items"] = lambda r: _two_per_page(r, api)
    config = {
        "api_url": api.url,
        "pagination": STYLES[style],
        "streams": [{"name": "items", "path": "/items", "records_path": "$.data[*]"}],
    }
    run = run_tap(config)
    assert run.code == 0, run.stderr
    assert run.records("items") == ROWS


def test_about_lists_every_setting_and_marks_secrets() -> None:
    done = subprocess.run(
        [str(TAP), "--about", "--format", "json"], capture_output=True, check=True
    )
    about = json.loads(done.stdout)
    settings = about["settings"]["properties"]
    for name in (
        "api_url",
        "headers",
        "params",
        "timeout",
        "verify_ssl",
        "user_agent",
        "streams",
        "auth",
        "pagination",
        "start_date",
        "max_requests_per_second",
    ):
        assert name in settings
    auth = settings["auth"]["properties"]
    for secret in ("token", "password", "api_key", "client_secret"):
        assert auth[secret].get("secret") is True
        assert auth[secret].get("writeOnly") is True


def test_discover_infers_a_schema_from_the_first_page(api: ApiServer, tmp_path: Path) -> None:
    api.routes["/items"] = lambda r: Reply(
        body=[
            {"id": 1, "at": "2026-01-01T00:00:00Z", "tags": ["a"], "price": 1.5},
            {"id": 2, "price": 2},
        ]
    )
    run = subprocess.run(
        [str(TAP), "--config", _write_config(api, tmp_path), "--discover"],
        capture_output=True,
        check=True,
    )
    (stream,) = json.loads(run.stdout)["streams"]
    properties = stream["schema"]["properties"]
    assert properties["id"]["type"] == ["integer", "null"]
    assert properties["price"]["type"] == ["number", "null"]
    assert properties["at"]["format"] == "date-time"
    assert properties["tags"]["items"]["type"] == ["string", "null"]


def _write_config(api: ApiServer, folder: Path) -> str:
    path = folder / "config.json"
    path.write_text(
        json.dumps({"api_url": api.url, "streams": [{"name": "items", "path": "/items"}]})
    )
    return str(path)


def test_fatal_error_exits_78_with_one_paragraph_and_no_secret(api: ApiServer, run_tap) -> None:
    api.routes["/items"] = lambda r: Reply(403, {"error": "forbidden"})
    config = {
        "api_url": api.url,
        "auth": {"type": "bearer", "token": "sup3r-secret"},
        "streams": [{"name": "items", "path": "/items", "schema": {"properties": {}}}],
    }
    run = run_tap(config)
    assert run.code == 78
    assert "HTTP 403" in run.stderr
    assert "sup3r-secret" not in run.stderr


def test_looping_cursor_exits_75_naming_the_stream(api: ApiServer, run_tap) -> None:
    api.routes["/items"] = lambda r: Reply(
        body={"data": [{"id": r.query.get("cursor", "first")}], "next_cursor": "again"}
    )
    config = {
        "api_url": api.url,
        "pagination": STYLES["cursor"],
        "streams": [
            {
                "name": "items",
                "path": "/items",
                "records_path": "$.data[*]",
                "schema": {"properties": {}},
            }
        ],
    }
    run = run_tap(config)
    assert run.code == 75
    assert "stream 'items'" in run.stderr
    assert "sent the pagination token 'again' again" in run.stderr
