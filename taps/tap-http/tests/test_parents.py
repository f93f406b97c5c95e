"""Parent-child streams: a child's path is filled from each record of its parent."""

from __future__ import annotations

import pytest

from elt.errors import ConfigError
from tests.fixtures.apiserver import ApiServer, Reply

USERS = [{"id": 1, "name": "Ann"}, {"id": 2, "name": "Bo"}]
ORDERS = {
    "1": [{"order_id": 10, "total": 5}],
    "2": [{"order_id": 20, "total": 7}, {"order_id": 21, "total": 1}],
}


def _serve(api: ApiServer) -> None:
    api.routes["/users"] = lambda r: Reply(body={"users": USERS})
    for user, orders in ORDERS.items():
        api.routes[f"/users/{user}/orders"] = lambda r, orders=orders: Reply(body=orders)


def _config(api: ApiServer, **child) -> dict:
    return {
        "api_url": api.url,
        "streams": [
            {
                "name": "users",
                "path": "/users",
                "records_path": "$.users[*]",
                "primary_keys": ["id"],
            },
            {"name": "orders", "path": "/users/{user_id}/orders", "parent": "users", **child},
        ],
    }


def test_child_reads_one_path_per_parent_record(api: ApiServer, run_tap) -> None:
    _serve(api)
    run = run_tap(_config(api, parent_keys={"user_id": "id"}))
    assert run.code == 0, run.stderr
    assert [r["order_id"] for r in run.records("orders")] == [10, 20, 21]
    assert run.records("users") == USERS
    assert run.schema("orders")["properties"]["total"]["type"] == ["integer", "null"]


def test_child_placeholder_defaults_to_the_parent_field_of_that_name(api: ApiServer, sync) -> None:
    _serve(api)
    config = _config(api)
    config["streams"][1]["path"] = "/users/{id}/orders"
    assert len(sync(config).records("orders")) == 3


def test_missing_parent_field_is_a_config_error_naming_it(api: ApiServer, sync) -> None:
    _serve(api)
    with pytest.raises(ConfigError, match=r"no 'user_id'.*parent_keys"):
        sync(_config(api))


def test_unknown_parent_is_a_config_error(api: ApiServer, sync) -> None:
    config = _config(api)
    config["streams"][1]["parent"] = "customers"
    with pytest.raises(ConfigError, match="'customers' is not configured"):
        sync(config)


def test_child_requests_carry_the_parent_value(api: ApiServer, sync) -> None:
    _serve(api)
    sync(_config(api, parent_keys={"user_id": "id"}))
    paths = {request.path for request in api.requests}
    assert {"/users/1/orders", "/users/2/orders"} <= paths
