"""Date windows (elt-partitions, opt-in): planned and read by the real tap-http executable
against a local API; together the windows send what one incremental run sends."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tap_http.windows import plan_windows

from elt.protocol.state import merge_state
from tests.fixtures.apiserver import ApiServer, Reply, Request

ROWS = [{"id": day, "updated_at": f"2026-01-{day:02d}T00:00:00Z"} for day in range(1, 31)]
SCHEMA = {
    "properties": {
        "id": {"type": "integer"},
        "updated_at": {"type": "string", "format": "date-time"},
    }
}


def _both_ends_inclusive(rows: list[dict[str, Any]]) -> Any:
    """An API whose updated_since and updated_before both include their ends: windows that
    share an end both get the record on it, and the tap must keep it in one."""

    def route(request: Request) -> Reply:
        since = request.query.get("updated_since", "").replace("+00:00", "Z")
        before = request.query.get("updated_before", "9999").replace("+00:00", "Z")
        return Reply(body=[row for row in rows if since <= row["updated_at"] <= before])

    return route


def _config(api: ApiServer, **stream: Any) -> dict[str, Any]:
    entry = {
        "name": "items",
        "path": "/items",
        "schema": SCHEMA,
        "primary_keys": ["id"],
        "replication_key": "updated_at",
        "bookmark_param": "updated_since={bookmark}",
        "partition_window": "30d",
        "partition_end_param": "updated_before={end}",
        **stream,
    }
    return {"api_url": api.url, "start_date": "2025-12-31T00:00:00Z", "streams": [entry]}


def _read(run_tap, tmp_path: Path, config: dict, plan: dict, window: dict, **request: Any):
    body = {"stream": "items", "partition": window, "bound": plan["bound"], **request}
    path = tmp_path / "window.json"
    path.write_text(json.dumps(body))
    run = run_tap(config, None, "--partition", str(path))
    assert run.code == 0, run.stderr
    return run


def test_every_window_together_is_one_incremental_run_and_bookmarks_the_bound(
    api: ApiServer, run_tap, tmp_path: Path
) -> None:
    rows = list(ROWS)
    api.routes["/items"] = _both_ends_inclusive(rows)
    config = _config(api)

    whole = run_tap(config)
    plan = run_tap(config, None, "--partitions").messages[0]["streams"]["items"]
    rows.append({"id": 99, "updated_at": "2099-01-01T00:00:00Z"})  # after planning
    runs = [_read(run_tap, tmp_path, config, plan, window) for window in plan["partitions"]]

    assert plan["partitions"][0]["start"] == "2025-12-31T00:00:00Z"
    assert plan["partitions"][0]["end"] == "2026-01-30T00:00:00+00:00"
    assert plan["partitions"][-1]["end"] == plan["bound"]
    union = [record["id"] for run in runs for record in run.records()]
    assert sorted(union) == sorted(record["id"] for record in whole.records()) == list(range(1, 31))
    assert any("updated_before" in request.query for request in api.requests)
    state: dict[str, Any] = {}
    for run in runs:
        assert run.state["bookmarks"]["items"]["replication_key_value"] == plan["bound"]
        state = merge_state(state, run.state)
    later = run_tap(config, state)
    assert [record["id"] for record in later.records()] == [99]


def test_a_stream_without_a_window_or_a_bookmark_is_left_out_of_the_plan(
    api: ApiServer, run_tap
) -> None:
    config = _config(api)
    del config["start_date"]
    plain = _config(api, partition_window=None, partition_end_param=None)["streams"][0]
    config["streams"].append({**plain, "name": "plain", "path": "/plain"})

    plan = run_tap(config, None, "--partitions")

    assert plan.code == 0, plan.stderr
    assert plan.messages[0] == {"streams": {}}


@pytest.mark.parametrize(
    "case",
    [
        (
            {"id": "x", "start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"},
            "partition.id",
        ),
        ({"id": "a..b", "start": "a", "end": "b"}, "partition.start"),
        ({"start": "2026-01-01T00:00:00Z", "end": "2026-06-01T00:00:00Z"}, "partition.end"),
    ],
)
def test_a_window_the_plan_would_not_hold_is_refused(
    api: ApiServer, run_tap, tmp_path: Path, case: tuple[dict, str]
) -> None:
    window, field = case
    window.setdefault("id", f"{window['start']}..{window['end']}")
    path = tmp_path / "window.json"
    path.write_text(json.dumps({"stream": "items", "partition": window, "bound": "2026-12-01"}))

    run = run_tap(_config(api), None, "--partition", str(path))

    assert run.code == 78
    assert f"{path} field '{field}': " in run.stderr


@pytest.mark.parametrize(
    ("stream", "where"),
    [
        ({"partition_window": "7 days"}, "streams[0].partition_window"),
        ({"partition_end_param": "updated_before"}, "streams[0].partition_end_param"),
        ({"bookmark_param": None}, "streams[0].partition_window"),
    ],
)
def test_a_bad_window_setting_is_refused(api: ApiServer, run_tap, stream: dict, where: str) -> None:
    run = run_tap(_config(api, **stream), None, "--partitions")

    assert run.code == 78
    assert where in run.stderr


def test_the_last_window_is_shorter_and_ends_at_the_bound() -> None:
    windows = plan_windows(
        "2026-01-01T00:00:00Z", datetime(2026, 1, 10, tzinfo=UTC), timedelta(days=4)
    )

    assert [w["id"] for w in windows or []] == [
        "2026-01-01T00:00:00Z..2026-01-05T00:00:00+00:00",
        "2026-01-05T00:00:00+00:00..2026-01-09T00:00:00+00:00",
        "2026-01-09T00:00:00+00:00..2026-01-10T00:00:00+00:00",
    ]
