"""Every pagination style against a real local API, the loop guard, and the registry."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tap_http.pagination import STYLES

from elt.errors import ConfigError, ServiceError
from tests.fixtures.apiserver import ApiServer, Reply, Request

ROWS = [{"id": i, "name": f"row {i}"} for i in range(1, 8)]


def _config(api: ApiServer, **stream: Any) -> dict[str, Any]:
    return {"api_url": api.url, "streams": [{"name": "items", "path": "/items", **stream}]}


def test_no_pagination_reads_one_top_level_array(api: ApiServer, sync) -> None:
    api.routes["/items"] = lambda r: Reply(body=ROWS)
    run = sync(_config(api))
    assert run.records("items") == ROWS
    assert len(api.hits("/items")) == 1  # the page inference read is the page synced


def test_records_path_picks_records_out_of_an_object(api: ApiServer, sync) -> None:
    api.routes["/items"] = lambda r: Reply(body={"data": {"items": ROWS}, "meta": {}})
    run = sync(_config(api, records_path="$.data.items[*]"))
    assert run.records("items") == ROWS


def test_page_number_walks_pages_until_an_empty_one(api: ApiServer, sync) -> None:
    def page(request: Request) -> Reply:
        number, size = int(request.query["p"]), int(request.query["per_page"])
        return Reply(body=ROWS[(number - 1) * size : number * size])

    api.routes["/items"] = page
    run = sync(
        _config(
            api,
            pagination={
                "style": "page",
                "page_param": "p",
                "size_param": "per_page",
                "page_size": 3,
            },
        )
    )
    assert run.records("items") == ROWS
    assert [r.query["p"] for r in api.hits("/items")] == ["1", "2", "3", "4"]


def test_a_short_page_does_not_end_the_walk(api: ApiServer, sync) -> None:
    """An API capping page size below page_size must not lose the remaining pages."""

    def page(request: Request) -> Reply:
        number = int(request.query["page"])
        return Reply(body=ROWS[(number - 1) * 2 : number * 2])

    api.routes["/items"] = page
    run = sync(_config(api, pagination={"style": "page", "size_param": "n", "page_size": 5}))
    assert run.records("items") == ROWS


def test_offset_limit_advances_by_the_records_received(api: ApiServer, sync) -> None:
    def page(request: Request) -> Reply:
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        return Reply(body={"results": ROWS[offset : offset + min(limit, 2)]})

    api.routes["/items"] = page
    run = sync(
        _config(api, records_path="$.results[*]", pagination={"style": "offset", "page_size": 4})
    )
    assert run.records("items") == ROWS
    assert [r.query["offset"] for r in api.hits("/items")] == ["0", "2", "4", "6", "7"]


def test_total_count_stops_without_asking_for_an_empty_page(api: ApiServer, sync) -> None:
    def page(request: Request) -> Reply:
        offset = int(request.query["start"])
        return Reply(body={"total": len(ROWS), "rows": ROWS[offset : offset + 3]})

    api.routes["/items"] = page
    pagination = {
        "style": "offset",
        "offset_param": "start",
        "page_size": 3,
        "total_path": "$.total",
    }
    run = sync(_config(api, records_path="$.rows[*]", pagination=pagination))
    assert run.records("items") == ROWS
    assert [r.query["start"] for r in api.hits("/items")] == ["0", "3", "6"]


def test_cursor_from_the_body_is_sent_back_as_a_param(api: ApiServer, sync) -> None:
    def page(request: Request) -> Reply:
        start = int(request.query.get("after", "0"))
        chunk = ROWS[start : start + 3]
        following = str(start + 3) if start + 3 < len(ROWS) else None
        return Reply(body={"items": chunk, "paging": {"next": following}})

    api.routes["/items"] = page
    pagination = {"style": "cursor", "cursor_path": "$.paging.next", "cursor_param": "after"}
    run = sync(_config(api, records_path="$.items[*]", pagination=pagination))
    assert run.records("items") == ROWS
    assert [r.query.get("after") for r in api.hits("/items")] == [None, "3", "6"]


def test_next_url_from_the_body_is_followed_with_its_own_query(api: ApiServer, sync) -> None:
    def page(request: Request) -> Reply:
        start = int(request.query.get("from", "0"))
        following = f"/items?from={start + 4}" if start + 4 < len(ROWS) else None
        return Reply(body={"data": ROWS[start : start + 4], "links": {"next": following}})

    api.routes["/items"] = page
    pagination = {"style": "next_url", "next_url_path": "$.links.next"}
    run = sync(_config(api, records_path="$.data[*]", params={"fixed": "x"}, pagination=pagination))
    assert run.records("items") == ROWS
    assert [r.query for r in api.hits("/items")] == [
        {"fixed": "x"},
        {"fixed": "x", "from": "4"},
    ]


def test_link_header_rel_next_is_followed(api: ApiServer, sync) -> None:
    def page(request: Request) -> Reply:
        start = int(request.query.get("since", "0"))
        headers = {}
        if start + 3 < len(ROWS):
            headers["Link"] = (
                f'<{api.url}/items?since={start + 3}>; rel="next", <{api.url}/items>; rel="first"'
            )
        return Reply(body=ROWS[start : start + 3], headers=headers)

    api.routes["/items"] = page
    run = sync(_config(api, pagination={"style": "link_header"}))
    assert run.records("items") == ROWS


def test_global_pagination_applies_to_every_stream(api: ApiServer, sync) -> None:
    api.routes["/items"] = lambda r: Reply(body=ROWS if r.query["page"] == "1" else [])
    config = _config(api)
    config["pagination"] = {"style": "page"}
    assert sync(config).records("items") == ROWS


def test_a_cursor_repeated_twice_in_a_row_is_an_error_not_a_loop(api: ApiServer, sync) -> None:
    api.routes["/items"] = lambda r: Reply(
        body={"items": [{"id": r.query.get("cursor", "-")}], "next": "same"}
    )
    pagination = {"style": "cursor", "cursor_path": "$.next"}
    with pytest.raises(ServiceError, match=r"sent the pagination token 'same' again"):
        sync(_config(api, records_path="$.items[*]", pagination=pagination))
    assert len(api.hits("/items")) == 2  # the first page, the page repeating the token


def test_offset_pagination_without_page_size_is_a_config_error(api: ApiServer, sync) -> None:
    with pytest.raises(ConfigError, match="page_size"):
        sync(_config(api, pagination={"style": "offset"}))


def _cycling_cursor(request: Request) -> Reply:
    """First page, then A -> B -> A -> ...: a loop no two consecutive tokens show."""
    cursor = request.query.get("cursor")
    following = {None: "A", "A": "B", "B": "A"}[cursor]
    return Reply(body={"items": [{"id": f"after {cursor}"}], "next": following})


def test_a_cursor_cycle_a_b_a_is_an_error_not_a_loop(api: ApiServer, sync) -> None:
    api.routes["/items"] = _cycling_cursor
    pagination = {"style": "cursor", "cursor_path": "$.next"}
    with pytest.raises(
        ServiceError, match=r"after page 3 .* token 'A' again \(it came with page 1"
    ):
        sync(_config(api, records_path="$.items[*]", pagination=pagination))
    assert [r.query.get("cursor") for r in api.hits("/items")] == [None, "A", "B"]


def _cycling_links(api: ApiServer) -> None:
    """/items -> /b -> /items -> ...; every body differs, so only the links show the loop."""
    hits = iter(range(1, 100))

    def page(following: str) -> Any:
        def route(request: Request) -> Reply:
            body = {"data": [{"id": next(hits)}], "next": following}
            return Reply(body=body, headers={"Link": f'<{api.url}{following}>; rel="next"'})

        return route

    api.routes["/items"] = page("/b")
    api.routes["/b"] = page("/items")


@pytest.mark.parametrize(
    "pagination",
    [{"style": "next_url", "next_url_path": "$.next"}, {"style": "link_header"}],
    ids=["next_url", "link_header"],
)
def test_next_links_cycling_a_b_a_are_an_error_not_a_loop(
    api: ApiServer, sync, pagination: dict[str, Any]
) -> None:
    _cycling_links(api)
    with pytest.raises(ServiceError, match=r"sent the pagination token '.*/b' again"):
        sync(_config(api, records_path="$.data[*]", pagination=pagination))
    assert [r.path for r in api.requests] == ["/items", "/b", "/items"]


@pytest.mark.parametrize(
    ("pagination", "parameter"),
    [({"style": "page"}, "'page'"), ({"style": "offset", "page_size": 2}, "'offset'")],
    ids=["page", "offset"],
)
def test_an_api_that_ignores_the_page_parameter_is_an_error_not_a_loop(
    api: ApiServer, sync, pagination: dict[str, Any], parameter: str
) -> None:
    api.routes["/items"] = lambda r: Reply(body=ROWS[:2])
    with pytest.raises(
        ServiceError,
        match=f"page 2 is identical to page 1: the API seems to ignore the {parameter}",
    ):
        sync(_config(api, pagination=pagination))
    assert len(api.hits("/items")) == 2


def test_max_pages_caps_a_walk(api: ApiServer, sync) -> None:
    api.routes["/items"] = lambda r: Reply(body=[{"id": int(r.query["page"])}])
    with pytest.raises(ServiceError, match=r"more pages after max_pages \(3\)"):
        sync(_config(api, pagination={"style": "page", "max_pages": 3}))
    assert len(api.hits("/items")) == 3


def test_max_pages_lets_a_walk_that_ends_in_time_finish(api: ApiServer, sync) -> None:
    api.routes["/items"] = lambda r: Reply(body={"total": 4, "rows": ROWS[:4]})
    pagination = {"style": "offset", "page_size": 4, "total_path": "$.total", "max_pages": 1}
    run = sync(_config(api, records_path="$.rows[*]", pagination=pagination))
    assert run.records() == ROWS[:4]


def test_max_pages_below_one_is_a_config_error(api: ApiServer, sync) -> None:
    with pytest.raises(ConfigError, match="max_pages must be at least 1"):
        sync(_config(api, pagination={"style": "page", "max_pages": 0}))


@pytest.mark.parametrize(
    ("pagination", "missing"),
    [
        ({"style": "offset"}, "page_size"),
        ({"style": "cursor"}, "cursor_path"),
        ({"style": "next_url"}, "next_url_path"),
    ],
    ids=["offset", "cursor", "next_url"],
)
def test_a_style_missing_its_own_setting_exits_78_naming_the_setting_path(
    api: ApiServer, run_tap, pagination: dict[str, Any], missing: str
) -> None:
    config = _config(api, schema={"properties": {}})
    config["streams"].append({"name": "b", "path": "/b", "pagination": pagination})
    run = run_tap(config)
    assert run.code == 78
    assert f"{pagination['style']} pagination needs {missing}" in run.stderr
    assert "streams[1].pagination" in run.stderr
    assert api.requests == []


def test_the_readme_documents_exactly_the_registered_styles() -> None:
    """A style is one class and one entry in STYLES; its README row is the third place."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Pagination", 1)[1].split("###", 1)[0].split("| --- |", 1)[1]
    assert re.findall(r"^\| `(\w+)` \|", table, re.M) == list(STYLES)
