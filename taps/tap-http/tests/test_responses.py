"""Response formats: JSON object or array, JSON Lines, gzip and deflate, malformed bodies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from elt.errors import ServiceError
from tests.fixtures.apiserver import ApiServer, Reply

ROWS = [{"id": 1, "amount": 1.25}, {"id": 2, "amount": 3}]
JSONL = b'{"id": 1, "amount": 1.25}\n\n{"id": 2, "amount": 3}\n'


def _config(api: ApiServer, **stream) -> dict:
    return {"api_url": api.url, "streams": [{"name": "items", "path": "/items", **stream}]}


def test_json_lines_are_recognised_by_content_type(api: ApiServer, sync) -> None:
    api.routes["/items"] = lambda r: Reply(
        raw=JSONL, headers={"Content-Type": "application/x-ndjson"}
    )
    assert sync(_config(api)).records() == ROWS


def test_json_lines_can_be_forced_whatever_the_content_type(api: ApiServer, sync) -> None:
    api.routes["/items"] = lambda r: Reply(raw=JSONL, headers={"Content-Type": "text/plain"})
    assert sync(_config(api, response_format="jsonl")).records() == ROWS


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compressed_bodies_are_decoded(api: ApiServer, sync, encoding: str) -> None:
    api.routes["/items"] = lambda r: Reply(body={"rows": ROWS}, encoding=encoding)
    assert sync(_config(api, records_path="$.rows[*]")).records() == ROWS


def test_decimal_digits_survive_the_trip(api: ApiServer, sync) -> None:
    api.routes["/items"] = lambda r: Reply(raw=b'[{"id": 1, "amount": 0.1000000000000000055511}]')
    (record,) = sync(_config(api)).records()
    assert Decimal(str(record["amount"])) == Decimal("0.1000000000000000055511")


def test_malformed_json_names_the_url_and_page(api: ApiServer, sync) -> None:
    def page(request) -> Reply:
        return Reply(body=ROWS) if request.query["page"] == "1" else Reply(raw=b'[{"id": 3,')

    api.routes["/items"] = page
    config = _config(api, pagination={"style": "page"}, schema={"properties": {}})
    with pytest.raises(ServiceError, match=r"/items\?page=2: page 2 is not valid JSON"):
        sync(config)


def test_an_empty_body_is_an_empty_page(api: ApiServer, sync) -> None:
    api.routes["/items"] = lambda r: Reply(raw=b"")
    assert sync(_config(api, schema={"properties": {"id": {"type": "integer"}}})).records() == []
