"""Incremental runs: the bookmark goes out as a param and records at or below it are dropped."""

from __future__ import annotations

from typing import Any

from tests.fixtures.apiserver import ApiServer, Reply, Request

ROWS = [
    {"id": 1, "updated_at": "2026-01-01T00:00:00Z"},
    {"id": 2, "updated_at": "2026-01-02T00:00:00Z"},
    {"id": 3, "updated_at": "2026-01-03T00:00:00Z"},
]
SCHEMA = {
    "properties": {
        "id": {"type": "integer"},
        "updated_at": {"type": "string", "format": "date-time"},
    }
}


def _inclusive_since(rows: list[dict[str, Any]]) -> Any:
    """An API whose updated_since is inclusive, as many are."""

    def route(request: Request) -> Reply:
        since = request.query.get("updated_since", "")
        return Reply(
            body=[row for row in rows if row["updated_at"] >= since.replace("+00:00", "Z")]
        )

    return route


def _config(api: ApiServer, **top: Any) -> dict[str, Any]:
    stream = {
        "name": "items",
        "path": "/items",
        "schema": SCHEMA,
        "primary_keys": ["id"],
        "replication_key": "updated_at",
        "bookmark_param": "updated_since={bookmark}",
    }
    return {"api_url": api.url, "streams": [stream], **top}


def test_second_run_requests_and_emits_only_new_records(api: ApiServer, run_tap) -> None:
    rows = list(ROWS)
    api.routes["/items"] = _inclusive_since(rows)
    first = run_tap(_config(api))
    assert first.code == 0, first.stderr
    assert [r["id"] for r in first.records()] == [1, 2, 3]
    assert "updated_since" not in api.requests[0].query

    rows.append({"id": 4, "updated_at": "2026-01-04T00:00:00Z"})
    second = run_tap(_config(api), first.state)
    assert second.code == 0, second.stderr
    assert [r["id"] for r in second.records()] == [4]
    assert api.requests[-1].query["updated_since"].startswith("2026-01-03T00:00:00")
    assert second.state["bookmarks"]["items"]["replication_key_value"].startswith("2026-01-04")


def test_start_date_is_the_bookmark_of_a_first_run(api: ApiServer, sync) -> None:
    api.routes["/items"] = _inclusive_since(ROWS)
    run = sync(_config(api, start_date="2026-01-02T00:00:00Z"))
    assert [r["id"] for r in run.records()] == [3]
    assert api.requests[-1].query["updated_since"].startswith("2026-01-02T00:00:00")


def test_resend_bookmarked_keeps_records_equal_to_the_bookmark(api: ApiServer, sync) -> None:
    api.routes["/items"] = _inclusive_since(ROWS)
    config = _config(api, start_date="2026-01-02T00:00:00Z")
    config["streams"][0]["resend_bookmarked"] = True
    assert [r["id"] for r in sync(config).records()] == [2, 3]


def test_records_without_a_replication_value_are_kept(api: ApiServer, sync) -> None:
    api.routes["/items"] = lambda r: Reply(body=[{"id": 9, "updated_at": None}, *ROWS])
    run = sync(_config(api, start_date="2026-01-02T00:00:00Z"))
    assert [r["id"] for r in run.records()] == [9, 3]
