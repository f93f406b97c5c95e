"""Schemas without extra requests: the inference page is the first page synced, a catalog's
schema is taken as it is, and an incremental stream says once how to make it resumable."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from typing import Any

import pytest
from tap_http import HttpStream, TapHttp, streams

from elt.errors import ConfigError, ServiceError
from tests.fixtures.apiserver import ApiServer, Reply, Request
from tests.fixtures.taps import parse

ROWS = [{"id": i, "updated_at": f"2026-01-0{i}T00:00:00Z"} for i in range(1, 8)]


def _pages(request: Request) -> Reply:
    page = int(request.query["page"])
    return Reply(body={"data": ROWS[(page - 1) * 3 : page * 3]})


def _config(api: ApiServer, **stream: Any) -> dict[str, Any]:
    return {
        "api_url": api.url,
        "pagination": {"style": "page"},
        "streams": [{"name": "items", "path": "/items", "records_path": "$.data[*]", **stream}],
    }


def _requested(api: ApiServer) -> list[tuple[str, str]]:
    return [(r.path, r.query.get("page", "")) for r in api.requests]


def test_the_inference_page_is_the_first_page_synced(api: ApiServer, run_tap) -> None:
    api.routes["/items"] = _pages
    run = run_tap(_config(api))
    assert run.code == 0, run.stderr
    assert run.records("items") == ROWS
    assert run.schema("items")["properties"]["id"]["type"] == ["integer", "null"]
    assert _requested(api) == [("/items", "1"), ("/items", "2"), ("/items", "3"), ("/items", "4")]


def test_a_child_stream_reuses_its_inference_page_too(api: ApiServer, run_tap) -> None:
    api.routes["/items"] = _pages
    for row in ROWS:
        api.routes[f"/items/{row['id']}/notes"] = lambda r, i=row["id"]: Reply(
            body=[{"note": f"n{i}"}]
        )
    config = _config(api)
    config["streams"].append(
        {
            "name": "notes",
            "path": "/items/{id}/notes",
            "parent": "items",
            "pagination": {"style": "none"},
        }
    )
    run = run_tap(config)
    assert run.code == 0, run.stderr
    assert len(run.records("notes")) == len(ROWS)
    requested = _requested(api)
    assert len(requested) == len(set(requested)) == 4 + len(ROWS)


def test_a_catalog_with_a_schema_means_no_inference_request(
    api: ApiServer, run_tap, tmp_path
) -> None:
    api.routes["/items"] = _pages
    discovered = run_tap(_config(api), None, "--discover")
    assert discovered.code == 0, discovered.stderr
    (catalog,) = discovered.messages
    catalog["streams"][0]["schema"]["properties"]["id"] = {"type": "integer"}
    api.requests.clear()
    run = run_tap_with_catalog(run_tap, tmp_path, _config(api), catalog)
    assert run.code == 0, run.stderr
    assert run.schema("items")["properties"]["id"] == {"type": "integer"}
    assert run.records("items") == ROWS
    assert _requested(api) == [("/items", "1"), ("/items", "2"), ("/items", "3"), ("/items", "4")]


def run_tap_with_catalog(run_tap, tmp_path, config: dict[str, Any], catalog: dict[str, Any]):
    path = tmp_path / "given-catalog.json"
    path.write_text(json.dumps(catalog), encoding="utf-8")
    return run_tap(config, None, "--catalog", str(path))


def test_an_incremental_run_infers_from_the_first_page_without_its_bookmark(
    api: ApiServer, sync
) -> None:
    """The one request a bookmark costs: a schema from "what changed" would change types."""

    def since(request: Request) -> Reply:
        after = request.query.get("since", "")
        return _pages(request) if not after else Reply(body={"data": []})

    api.routes["/items"] = since
    config = _config(api, replication_key="updated_at", bookmark_param="since={bookmark}")
    bookmark = {"replication_key": "updated_at", "replication_key_value": "2026-01-09T00:00:00Z"}
    state = {"bookmarks": {"items": bookmark}}
    run = sync(config, state)
    assert run.records() == []
    assert run.schema("items")["properties"]["updated_at"]["format"] == "date-time"
    assert [r.query.get("since") for r in api.requests] == [None, "2026-01-09T00:00:00Z"]


def test_an_incremental_stream_says_once_which_setting_makes_it_resumable(
    api: ApiServer, run_tap
) -> None:
    api.routes["/items"] = _pages
    for row in ROWS:
        api.routes[f"/items/{row['id']}/notes"] = lambda r: Reply(
            body=[{"note": "n", "at": "2026-02-01T00:00:00Z"}]
        )
    config = _config(api, replication_key="updated_at")
    config["streams"].append(
        {
            "name": "notes",
            "path": "/items/{id}/notes",
            "parent": "items",
            "replication_key": "at",
            "pagination": {"style": "none"},
        }
    )
    run = run_tap(config)
    assert run.code == 0, run.stderr
    assert "assumed to be unsorted" not in run.stderr
    notices = [line for line in run.stderr.splitlines() if "is_sorted" in line]
    assert len(notices) == 2  # one per stream, not one per child partition
    assert "Stream 'items' is not declared sorted" in notices[0]


def test_is_sorted_false_silences_the_notice(api: ApiServer, run_tap) -> None:
    api.routes["/items"] = _pages
    run = run_tap(_config(api, replication_key="updated_at", is_sorted=False))
    assert run.code == 0, run.stderr
    assert "is_sorted" not in run.stderr
    assert "unsorted" not in run.stderr
    assert run.state["bookmarks"]["items"]["replication_key_value"] == ROWS[-1]["updated_at"]


def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """A STATE and an order check every page of three, as a long sync has every 10,000."""
    monkeypatch.setattr(HttpStream, "STATE_MSG_FREQUENCY", 3)
    monkeypatch.setattr(streams, "CHUNK_RECORDS", 3)


def _sync_until_failure(tap: TapHttp) -> list[dict[str, Any]]:
    """The messages a sync wrote before it failed with a ServiceError."""
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8")
    with redirect_stdout(out):
        with pytest.raises(ServiceError):
            tap.sync_all()
        tap.message_writer.flush()  # type: ignore[attr-defined]
        out.flush()
    return parse(raw.getvalue())


@pytest.mark.parametrize("is_sorted", [True, False])
def test_a_sorted_stream_bookmarks_as_it_goes_so_an_interrupted_run_resumes(
    api: ApiServer, monkeypatch: pytest.MonkeyPatch, is_sorted: bool
) -> None:
    _small_batches(monkeypatch)
    api.routes["/items"] = lambda r: _pages(r) if r.query["page"] != "3" else Reply(500, {})
    config = _config(api, replication_key="updated_at", is_sorted=is_sorted)
    config.update(max_tries=1)
    messages = _sync_until_failure(TapHttp(config=config))
    last = next(m["value"] for m in reversed(messages) if m["type"] == "STATE")
    bookmark = last["bookmarks"]["items"]
    if is_sorted:
        assert bookmark["replication_key_value"] == ROWS[5]["updated_at"]
        assert "progress_markers" not in bookmark
    else:
        assert "replication_key_value" not in bookmark  # a rerun starts over
        assert bookmark["progress_markers"]["replication_key_value"] == ROWS[5]["updated_at"]


def test_records_out_of_order_under_is_sorted_are_a_configuration_error(
    api: ApiServer, sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_batches(monkeypatch)
    backwards = list(reversed(ROWS))
    api.routes["/items"] = lambda r: Reply(
        body={"data": backwards[(int(r.query["page"]) - 1) * 3 : int(r.query["page"]) * 3]}
    )
    config = _config(api, replication_key="updated_at", is_sorted=True)
    with pytest.raises(ConfigError, match=r"stream 'items'.*not in ascending 'updated_at' order"):
        sync(config)
