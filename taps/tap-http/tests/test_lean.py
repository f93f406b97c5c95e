"""The lean record path writes what singer-sdk's own record loop would, only faster."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest
from singer_sdk.io_base import SingerWriter
from tap_http import TapHttp
from tap_http.streams import HttpStream

from tests.fixtures.apiserver import ApiServer, Reply, Request
from tests.fixtures.taps import TapRun, sync_in_process

USERS = [
    {"id": 1, "name": "Ann", "updated_at": "2026-01-02T00:00:00Z", "balance": 1.5},
    {"id": 2, "name": "Bo", "updated_at": "2026-01-05T00:00:00Z", "balance": None},
    {"id": 3, "name": "Cy", "updated_at": "2026-01-01T00:00:00Z", "balance": 2},
]
ORDERS = {1: [{"order_id": 10}], 2: [{"order_id": 20}, {"order_id": 21}], 3: []}
SCHEMA = {
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": ["string", "null"]},
        "updated_at": {"type": "string", "format": "date-time"},
        "balance": {"type": ["number", "null"]},
    }
}


class SdkLoopTapHttp(TapHttp):
    """The same tap with singer-sdk's writer, which sends every record through its loop."""

    message_writer_class = SingerWriter


def _serve(api: ApiServer, users: list[dict[str, Any]]) -> None:
    def pages(request: Request) -> Reply:
        page = int(request.query.get("page", "1"))
        return Reply(body={"data": users[(page - 1) * 2 : page * 2]})

    api.routes["/users"] = pages
    for user, orders in ORDERS.items():
        api.routes[f"/users/{user}/orders"] = lambda r, orders=orders: Reply(body=orders)


def _config(api: ApiServer) -> dict[str, Any]:
    return {
        "api_url": api.url,
        "start_date": "2026-01-01T12:00:00Z",
        "streams": [
            {
                "name": "users",
                "path": "/users",
                "records_path": "$.data[*]",
                "schema": SCHEMA,
                "primary_keys": ["id"],
                "replication_key": "updated_at",
                "pagination": {"style": "page", "page_param": "page"},
            },
            {
                "name": "orders",
                "path": "/users/{user_id}/orders",
                "parent": "users",
                "parent_keys": {"user_id": "id"},
                "schema": {
                    "properties": {"order_id": {"type": "integer"}, "user_id": {"type": "integer"}}
                },
            },
        ],
    }


def _deselect(tap: TapHttp, stream: str, prop: str) -> dict[str, Any]:
    catalog = tap.catalog_dict
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if entry["tap_stream_id"] == stream and item["breadcrumb"] == ["properties", prop]:
                item["metadata"]["selected"] = False
    return catalog


def _both(config: dict[str, Any], **kwargs: Any) -> tuple[TapRun, TapRun]:
    return (
        sync_in_process(TapHttp(config=config, **kwargs)),
        sync_in_process(SdkLoopTapHttp(config=config, **kwargs)),
    )


def test_records_and_bookmarks_match_the_sdk_loop(api: ApiServer) -> None:
    extra = [{**user, "not_in_schema": True} for user in USERS]
    _serve(api, extra)
    lean, sdk = _both(_config(api))
    assert lean.records("users") == sdk.records("users")
    assert [r["id"] for r in lean.records("users")] == [1, 2]  # Cy is before start_date
    assert "not_in_schema" not in lean.records("users")[0]
    assert lean.records("orders") == sdk.records("orders")
    assert lean.records("orders") == [
        {"order_id": 10, "user_id": 1},
        {"order_id": 20, "user_id": 2},
        {"order_id": 21, "user_id": 2},
    ]
    assert lean.state == sdk.state
    users_state = lean.state["bookmarks"]["users"]
    assert users_state["replication_key_value"] == "2026-01-05T00:00:00Z"


def test_deselected_properties_are_not_sent(api: ApiServer) -> None:
    _serve(api, USERS)
    catalog = _deselect(TapHttp(config=_config(api)), "users", "name")
    lean, sdk = _both(_config(api), catalog=catalog)
    assert lean.records("users") == sdk.records("users")
    assert all("name" not in record for record in lean.records("users"))


def test_properties_missing_from_the_schema_are_dropped_with_one_warning(
    api: ApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    _serve(api, [{**user, "surprise": 1} for user in USERS])
    with caplog.at_level(logging.WARNING):
        run = sync_in_process(TapHttp(config=_config(api)))
    assert all("surprise" not in record for record in run.records("users"))
    warnings = [r.getMessage() for r in caplog.records if "surprise" in r.getMessage()]
    assert len(warnings) == 1
    assert "not in its schema" in warnings[0]


def test_stream_maps_still_apply(api: ApiServer) -> None:
    _serve(api, USERS)
    config = {**_config(api), "stream_maps": {"users": {"name": "name.upper()"}}}
    run = sync_in_process(TapHttp(config=config))
    assert [r["name"] for r in run.records("users")] == ["ANN", "BO"]


def test_a_state_goes_out_every_state_msg_frequency_records(
    api: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = [
        {"id": i, "name": None, "updated_at": f"2026-02-{1 + i % 28:02d}T00:00:00Z"}
        for i in range(10)
    ]
    api.routes["/users"] = lambda r: Reply(body={"data": many})
    config = _config(api)
    config["streams"] = config["streams"][:1]
    config["streams"][0]["pagination"] = {"style": "none"}
    monkeypatch.setattr(HttpStream, "STATE_MSG_FREQUENCY", 3)
    run = sync_in_process(TapHttp(config=config))
    assert len(run.records("users")) == 10
    assert run.types().count("STATE") >= 2


def test_numbers_a_double_would_round_keep_every_digit(api: ApiServer) -> None:
    raw = b'{"data": [{"id": 1, "balance": 12345678901234567.891}, {"id": 2, "balance": 0.1}]}'
    api.routes["/users"] = lambda r: Reply(raw=raw)
    config = _config(api)
    config["streams"] = config["streams"][:1]
    config["streams"][0]["pagination"] = {"style": "none"}
    config["streams"][0]["replication_key"] = None
    run = sync_in_process(TapHttp(config=config))
    assert [r["balance"] for r in run.records("users")] == [
        Decimal("12345678901234567.891"),
        0.1,
    ]
