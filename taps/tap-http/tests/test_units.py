"""Pure helpers: settings validation, URL redaction, bookmark comparison, schema inference."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tap_http.bookmarks import is_after
from tap_http.inference import infer_schema
from tap_http.settings import load_streams
from tap_http.urls import redact_url

from elt.errors import ConfigError


def test_redact_url_masks_secret_params_and_user_info() -> None:
    url = "https://bob:pw@api.test/v1/x?token=abc&page=2&My_Key=zz"
    assert (
        redact_url(url, ["my_key"]) == "https://api.test/v1/x?token=REDACTED&page=2&My_Key=REDACTED"
    )


def test_redact_url_masks_what_elt_masks_in_settings_by_the_same_name_rule() -> None:
    url = "https://api.test/x?key=k&X-Api-Key=a&client_secret=c&sig=s&page=2&key_properties=id"
    assert redact_url(url) == (
        "https://api.test/x?key=REDACTED&X-Api-Key=REDACTED&client_secret=REDACTED"
        "&sig=REDACTED&page=2&key_properties=id"
    )


@pytest.mark.parametrize(
    ("value", "bookmark", "newer"),
    [
        ("2026-01-02T00:00:00Z", "2026-01-01T23:00:00-02:00", False),
        ("2026-01-02T00:00:01+00:00", "2026-01-02T00:00:00Z", True),
        ("2026-01-02T00:00:00Z", "2026-01-02T00:00:00+00:00", False),
        (10, "9", True),
        (Decimal("9.5"), 10, False),
        ("b", "a", True),
        (None, "a", True),
        ("a", None, True),
    ],
)
def test_is_after_compares_instants_numbers_and_text(value, bookmark, newer: bool) -> None:
    assert is_after(value, bookmark) is newer


def test_inference_widens_integers_and_keeps_mixed_types_open() -> None:
    schema = infer_schema([{"a": 1, "b": "x", "c": {"d": True}}, {"a": 1.5, "b": 2, "c": None}])
    assert schema["properties"]["a"] == {"type": ["number", "null"]}
    assert schema["properties"]["b"] == {}
    assert schema["properties"]["c"]["properties"]["d"] == {"type": ["boolean", "null"]}


def test_stream_pagination_of_the_same_style_extends_the_global_one() -> None:
    config = {
        "pagination": {"style": "page", "size_param": "n", "page_size": 50},
        "streams": [{"name": "a", "path": "/a", "pagination": {"style": "page", "page_size": 10}}],
    }
    (stream,) = load_streams(config)
    assert (stream.pagination.size_param, stream.pagination.page_size) == ("n", 10)


def test_parents_are_ordered_before_children() -> None:
    config = {
        "streams": [
            {"name": "c", "path": "/b/{id}/c", "parent": "b"},
            {"name": "b", "path": "/a/{id}/b", "parent": "a"},
            {"name": "a", "path": "/a"},
        ]
    }
    assert [s.name for s in load_streams(config)] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("streams", "message"),
    [
        ([], "no streams"),
        ([{"name": "a"}], "name and a path"),
        ([{"name": "a", "path": "/a"}, {"name": "a", "path": "/b"}], "used twice"),
        ([{"name": "a", "path": "/a", "parent": "a"}], "cycle"),
        ([{"name": "a", "path": "/a", "bookmark_param": "since"}], "template"),
        ([{"name": "a", "path": "/a", "pagination": {"style": "cursor"}}], "cursor_path"),
        ([{"name": "a", "path": "/a", "pagination": {"style": "next_url"}}], "next_url_path"),
        ([{"name": "a", "path": "/a", "pagination": {"style": "pages"}}], "not one of"),
    ],
)
def test_invalid_stream_settings_are_config_errors(streams, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_streams({"streams": streams})
