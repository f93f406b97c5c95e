"""singer-sdk's standard tap tests against a real local API with parent, child and incremental streams."""

from __future__ import annotations

import atexit
import sys
from pathlib import Path

from singer_sdk.testing import get_tap_test_class
from tap_http import TapHttp

sys.path.insert(0, str(Path(__file__).parent))
from tests.fixtures.apiserver import ApiServer, Reply, Request

_API = ApiServer()
atexit.register(_API.stop)

_USERS = [
    {"id": i, "name": f"user {i}", "updated_at": f"2026-01-0{i}T00:00:00Z"} for i in range(1, 6)
]


def _users(request: Request) -> Reply:
    page = int(request.query["page"])
    return Reply(body={"users": _USERS[(page - 1) * 2 : page * 2]})


def _orders(request: Request) -> Reply:
    user = int(request.path.split("/")[2])
    return Reply(body=[{"order_id": user * 10 + n, "total": n + 0.5} for n in range(2)])


_API.routes["/users"] = _users
for _user in _USERS:
    _API.routes[f"/users/{_user['id']}/orders"] = _orders

TestTapHttpStandard = get_tap_test_class(
    TapHttp,
    config={
        "api_url": _API.url,
        "streams": [
            {
                "name": "users",
                "path": "/users",
                "records_path": "$.users[*]",
                "primary_keys": ["id"],
                "replication_key": "updated_at",
                "bookmark_param": "updated_since={bookmark}",
                "pagination": {"style": "page"},
            },
            {
                "name": "orders",
                "path": "/users/{user_id}/orders",
                "parent": "users",
                "parent_keys": {"user_id": "id"},
                "primary_keys": ["order_id"],
            },
        ],
    },
)
