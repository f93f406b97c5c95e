"""Scenarios of tap-http's README examples (see :mod:`tests.readme.examples`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tap_http import TapHttp

from tests.fixtures.apiserver import ApiServer, Reply, Request
from tests.readme.examples import Example, run_bash
from tests.readme.scenarios import assert_config_accepted, scenario

EXAMPLE_URL = "https://api.example.com/v2"
USERS = [{"id": i, "updated_at": f"2026-01-0{i}T00:00:00Z"} for i in range(1, 4)]


def _example_api(api: ApiServer) -> None:
    """The API the example describes: a bearer token, a cursor `after` from `$.meta.next`,
    records at `$.data[*]`, each user's orders under /users/{id}/orders."""

    def users(request: Request) -> Reply:
        if request.headers.get("authorization") != "Bearer your-api-token":
            return Reply(401, {"error": "token"})
        start = int(request.query.get("after", "0"))
        following = str(start + 2) if start + 2 < len(USERS) else None
        return Reply(body={"data": USERS[start : start + 2], "meta": {"next": following}})

    api.routes["/v2/users"] = users
    for user in USERS:
        api.routes[f"/v2/users/{user['id']}/orders"] = lambda r, i=user["id"]: Reply(
            body={"data": [{"order_id": i * 10}], "meta": {}}
        )


@scenario("tap-http-config")
def tap_http_config(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The example as written passes tap-http's checks; pointed at a local API that answers
    as the example's would, it extracts the users and each user's orders."""
    assert EXAMPLE_URL in found.text
    assert_config_accepted(TapHttp, json.loads(found.text))
    api = ApiServer()
    try:
        _example_api(api)
        local = found.text.replace(EXAMPLE_URL, f"{api.url}/v2")
        (tmp_path / "config.json").write_text(local)
        done = run_bash("tap-http --config config.json", tmp_path)
        assert done.returncode == 0, done.stderr
        records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        rows = [(m["stream"], m["record"]) for m in records if m["type"] == "RECORD"]
        assert [r for s, r in rows if s == "users"] == USERS
        assert sorted(r["order_id"] for s, r in rows if s == "orders") == [10, 20, 30]
        assert "updated_since" not in api.hits("/v2/users")[0].query
    finally:
        api.stop()
