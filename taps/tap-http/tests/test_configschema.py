"""Settings tap-http does not declare are refused, at every level, with the closest name."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.apiserver import ApiServer, Reply


def _config(api: ApiServer, **stream: Any) -> dict[str, Any]:
    return {
        "api_url": api.url,
        "streams": [{"name": "items", "path": "/items", "schema": {"properties": {}}, **stream}],
    }


@pytest.mark.parametrize(
    ("change", "named", "suggested"),
    [
        (
            lambda c: c["streams"][0].update(record_path="$.x[*]"),
            "streams[0].record_path",
            "records_path",
        ),
        (lambda c: c.update(auth={"type": "bearer", "tokn": "t"}), "auth.tokn", "token"),
        (
            lambda c: c.update(pagination={"style": "page", "page_parm": "p"}),
            "pagination.page_parm",
            "page_param",
        ),
        (
            lambda c: c["streams"][0].update(pagination={"style": "page", "strat_page": 0}),
            "streams[0].pagination.strat_page",
            "start_page",
        ),
        (lambda c: c.update(stream=[]), "'stream'", "streams"),
    ],
)
def test_an_undeclared_setting_is_refused_with_the_closest_name_before_any_request(
    api: ApiServer, run_tap, change, named: str, suggested: str
) -> None:
    api.routes["/items"] = lambda r: Reply(body=[{"id": 1}])
    config = _config(api)
    change(config)
    run = run_tap(config)
    assert run.code == 78, run.stderr
    assert named in run.stderr
    assert f"did you mean {suggested!r}" in run.stderr
    assert "Traceback" not in run.stderr
    assert api.requests == []


def test_every_problem_is_named_in_one_paragraph(api: ApiServer, run_tap) -> None:
    config = _config(api, record_path="$", primary_key=["id"])
    run = run_tap(config)
    assert run.code == 78
    (line,) = [line for line in run.stderr.splitlines() if "unknown setting" in line]
    assert "streams[0].record_path" in line
    assert "streams[0].primary_key " in line or "streams[0].primary_key (" in line
