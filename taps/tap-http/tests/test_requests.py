"""What goes out on the wire: headers, user agent, params, method and body, TLS setting."""

from __future__ import annotations

from tests.fixtures.apiserver import ApiServer, Reply

SCHEMA = {"properties": {"id": {"type": "integer"}}}


def test_global_and_stream_headers_params_and_user_agent_are_sent(api: ApiServer, sync) -> None:
    api.routes["/items"] = lambda r: Reply(body=[{"id": 1}])
    sync(
        {
            "api_url": api.url + "/",
            "user_agent": "elt-test/1",
            "headers": {"X-Team": "data", "X-Both": "global"},
            "params": {"region": "eu", "both": "global"},
            "streams": [
                {
                    "name": "items",
                    "path": "items",
                    "schema": SCHEMA,
                    "headers": {"X-Both": "stream"},
                    "params": {"both": "stream"},
                }
            ],
        }
    )
    (request,) = api.requests
    assert request.headers["user-agent"] == "elt-test/1"
    assert request.headers["x-team"] == "data"
    assert request.headers["x-both"] == "stream"
    assert request.query == {"region": "eu", "both": "stream"}


def test_post_stream_sends_its_json_body(api: ApiServer, sync) -> None:
    api.routes["/search"] = lambda r: Reply(body={"hits": [{"id": r.json()["size"]}]})
    run = sync(
        {
            "api_url": api.url,
            "streams": [
                {
                    "name": "hits",
                    "path": "/search",
                    "method": "post",
                    "body": {"size": 7},
                    "records_path": "$.hits[*]",
                    "schema": SCHEMA,
                }
            ],
        }
    )
    assert run.records() == [{"id": 7}]
    assert api.requests[0].method == "POST"


def test_a_full_url_as_path_ignores_api_url(api: ApiServer, sync) -> None:
    api.routes["/elsewhere"] = lambda r: Reply(body=[{"id": 2}])
    config = {
        "api_url": "http://127.0.0.1:9/unused",
        "streams": [{"name": "items", "path": f"{api.url}/elsewhere", "schema": SCHEMA}],
    }
    assert sync(config).records() == [{"id": 2}]
