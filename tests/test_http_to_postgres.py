"""tap-http -> target-postgres end to end through `elt run`: an API into a table, twice."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.fixtures.apiserver import ApiServer, Reply, Request
from tests.fixtures.cli import run_elt

TOKEN = "s3cr3t-token-for-e2e"
CUSTOMERS = [
    {
        "id": 1,
        "name": "Zoë",
        "balance": "10.50",
        "tags": {"tier": "gold"},
        "updated": "2026-01-01T00:00:00Z",
    },
    {"id": 2, "name": "Bo", "balance": "0.10", "tags": None, "updated": "2026-01-02T00:00:00Z"},
    {
        "id": 3,
        "name": "Cy",
        "balance": "123456789012.123456789",
        "tags": {},
        "updated": "2026-01-03T00:00:00Z",
    },
]


def _as_json(customer: dict[str, Any]) -> str:
    """A record as the API writes it: the balance as a JSON number, every digit kept."""
    body = json.dumps({**customer, "balance": "@"})
    return body.replace('"@"', customer["balance"])


@pytest.fixture
def api() -> Iterator[ApiServer]:
    server = ApiServer()
    rows = list(CUSTOMERS)
    server.rows = rows  # type: ignore[attr-defined]

    def customers(request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Reply(401, {"error": "no token"})
        since = request.query.get("updated_since", "").replace("+00:00", "Z")
        page = int(request.query.get("page", "1"))
        matching = [row for row in rows if row["updated"] >= since]
        chunk = matching[(page - 1) * 2 : page * 2]
        return Reply(raw=('{"items": [' + ",".join(map(_as_json, chunk)) + "]}").encode())

    server.routes["/v1/customers"] = customers
    yield server
    server.stop()


def elt(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_elt(project, *args, env={"TAP_HTTP_AUTH_TOKEN": TOKEN})


def make_project(root: Path, api: ApiServer, pg_database: str) -> Path:
    root.mkdir()
    (root / "plugins.yml").write_text(
        f"""version: 1
plugins:
  taps:
    - name: tap-http
      config:
        api_url: "{api.url}/v1"
        auth: {{type: bearer, token: "${{TAP_HTTP_AUTH_TOKEN}}"}}
        pagination: {{style: page, page_param: page}}
        streams:
          - name: customers
            path: /customers
            records_path: "$.items[*]"
            primary_keys: [id]
            replication_key: updated
            bookmark_param: "updated_since={{bookmark}}"
  targets:
    - name: target-postgres
      config:
        sqlalchemy_url: "{pg_database}"
        default_target_schema: api
"""
    )
    return root


def rows(pg_database: str) -> list[tuple[object, ...]]:
    with psycopg.connect(pg_database) as conn:
        return conn.execute(
            "select id, name, balance, tags from api.customers order by id"
        ).fetchall()


def test_elt_run_loads_an_api_and_a_second_run_asks_only_for_what_changed(
    tmp_path: Path, api: ApiServer, pg_database: str
) -> None:
    project = make_project(tmp_path / "p", api, pg_database)
    first = elt(project, "run", "tap-http", "target-postgres")
    assert first.returncode == 0, first.stderr
    # the page schema inference read is the first page synced: page 1 is fetched once
    assert [r.query.get("page") for r in api.hits("/v1/customers")] == ["1", "2", "3"]
    assert "unsorted" not in first.stderr
    assert rows(pg_database) == [
        (1, "Zoë", Decimal("10.50"), {"tier": "gold"}),
        (2, "Bo", Decimal("0.10"), None),
        (3, "Cy", Decimal("123456789012.123456789"), {}),
    ]
    state = json.loads(elt(project, "state", "get", "default:tap-http-to-target-postgres").stdout)
    assert state["bookmarks"]["customers"]["replication_key_value"] == "2026-01-03T00:00:00Z"

    changed = {**CUSTOMERS[1], "name": "Bo changed", "updated": "2026-01-04T00:00:00Z"}
    new = {"id": 4, "name": "Di", "balance": "4", "tags": None, "updated": "2026-01-04T00:00:00Z"}
    api.rows[1:2] = [changed]  # type: ignore[attr-defined]
    api.rows.append(new)  # type: ignore[attr-defined]
    api.requests.clear()
    second = elt(project, "run", "tap-http", "target-postgres")
    assert second.returncode == 0, second.stderr
    probe, *sync = api.hits("/v1/customers")  # the first page without bookmark, to infer from
    assert "updated_since" not in probe.query
    assert {r.query["updated_since"][:19] for r in sync} == {"2026-01-03T00:00:00"}
    assert [row[:2] for row in rows(pg_database)] == [
        (1, "Zoë"),
        (2, "Bo changed"),
        (3, "Cy"),
        (4, "Di"),
    ]
    logs = list((project / ".elt" / "logs").rglob("*.log"))
    assert logs
    for path in logs:
        assert TOKEN not in path.read_text(encoding="utf-8")
    assert TOKEN not in first.stderr + second.stderr


def test_a_refused_token_fails_the_run_and_keeps_the_bookmark(
    tmp_path: Path, api: ApiServer, pg_database: str
) -> None:
    project = make_project(tmp_path / "p", api, pg_database)
    assert elt(project, "run", "tap-http", "target-postgres").returncode == 0
    failed = run_elt(
        project, "run", "tap-http", "target-postgres", env={"TAP_HTTP_AUTH_TOKEN": "wrong-token"}
    )
    assert failed.returncode != 0
    assert "HTTP 401" in failed.stderr
    assert "wrong-token" not in failed.stderr
    state = json.loads(elt(project, "state", "get", "default:tap-http-to-target-postgres").stdout)
    assert state["bookmarks"]["customers"]["replication_key_value"] == "2026-01-03T00:00:00Z"
    assert len(rows(pg_database)) == 3


def test_elt_run_exits_with_the_class_of_the_api_failure_and_retries_only_what_can_pass(
    tmp_path: Path, api: ApiServer, pg_database: str
) -> None:
    project = make_project(tmp_path / "p", api, pg_database)
    assert elt(project, "run", "tap-http", "target-postgres").returncode == 0
    api.requests.clear()
    refused = run_elt(
        project,
        *("run", "tap-http", "target-postgres", "--retries", "2", "--retry-delay", "0"),
        env={"TAP_HTTP_AUTH_TOKEN": "wrong-token"},
    )
    assert refused.returncode == 78, refused.stderr
    assert "HTTP 401" in refused.stderr
    assert len(api.hits("/v1/customers")) == 1  # a refused credential is never retried

    api.routes["/v1/customers"] = lambda r: Reply(503, {"error": "maintenance"})
    api.requests.clear()
    down = run_elt(
        project,
        *("run", "tap-http", "target-postgres", "--retries", "1", "--retry-delay", "0"),
        env={"TAP_HTTP_AUTH_TOKEN": TOKEN, "TAP_HTTP_MAX_TRIES": "1"},
    )
    assert down.returncode == 75, down.stderr
    assert len(api.hits("/v1/customers")) == 2  # one try per attempt, two attempts
