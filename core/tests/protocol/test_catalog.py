from __future__ import annotations

import pytest

from elt.errors import ProtocolError
from elt.protocol import Catalog, CatalogEntry, property_breadcrumb

CATALOG = {
    "streams": [
        {
            "tap_stream_id": "users",
            "stream": "users",
            "schema": {
                "properties": {
                    "id": {"type": "integer"},
                    "address": {"type": "object", "properties": {"city": {"type": "string"}}},
                }
            },
            "metadata": [
                {"breadcrumb": [], "metadata": {"selected": True, "table-key-properties": ["id"]}},
                {"breadcrumb": ["properties", "id"], "metadata": {"inclusion": "automatic"}},
                {"breadcrumb": ["properties", "address"], "metadata": {"selected": False}},
            ],
            "key_properties": ["id"],
            "x-vendor": {"kept": True},
        }
    ]
}


def test_catalog_round_trips_including_unknown_keys() -> None:
    assert Catalog.from_dict(CATALOG).to_dict() == CATALOG


def test_property_breadcrumbs_for_nested_paths() -> None:
    assert property_breadcrumb("id") == ("properties", "id")
    assert property_breadcrumb(("address", "city")) == (
        "properties", "address", "properties", "city",
    )  # fmt: skip


def test_property_paths_walk_nested_objects_parents_first() -> None:
    entry = Catalog.from_dict(CATALOG).streams[0]
    assert list(entry.property_paths()) == [("id",), ("address",), ("address", "city")]


def test_selection_follows_singer_precedence() -> None:
    entry = Catalog.from_dict(CATALOG).streams[0]
    assert entry.is_selected()
    assert entry.is_selected(property_breadcrumb("id"))
    assert not entry.is_selected(property_breadcrumb("address"))
    assert not entry.is_selected(property_breadcrumb(("address", "city")))


def test_automatic_property_is_not_selected_when_its_stream_is_not() -> None:
    entry = CatalogEntry(
        "s",
        {},
        metadata={(): {"selected": False}, ("properties", "id"): {"inclusion": "automatic"}},
    )
    assert not entry.is_selected(("properties", "id"))


def test_selected_by_default_applies_when_nothing_is_said() -> None:
    entry = CatalogEntry("s", {}, metadata={(): {"selected-by-default": True}})
    assert entry.is_selected()
    assert not CatalogEntry("t", {}).is_selected()


def test_a_property_without_selection_metadata_follows_its_stream() -> None:
    # what singer-sdk taps do: tap-csv and tap-http discover properties with only
    # "inclusion": "available", and sync them when their stream is selected
    metadata = {
        (): {"selected-by-default": True},
        ("properties", "name"): {"inclusion": "available"},
        ("properties", "address"): {"inclusion": "available", "selected": False},
        ("properties", "address", "properties", "city"): {"inclusion": "available"},
    }
    entry = CatalogEntry("s", {}, metadata=metadata)
    assert entry.is_selected(("properties", "name"))
    assert not entry.is_selected(("properties", "address", "properties", "city"))
    entry.metadata[()] = {"selected": False}
    assert not entry.is_selected(("properties", "name"))


def test_catalog_without_streams_is_a_clear_error() -> None:
    with pytest.raises(ProtocolError, match='"streams" array'):
        Catalog.from_dict({"stream": []}, where="catalog.json")


def test_stream_without_id_is_a_clear_error() -> None:
    with pytest.raises(ProtocolError, match="tap_stream_id"):
        Catalog.from_dict({"streams": [{"schema": {}}]})


def test_get_finds_a_stream_by_id() -> None:
    catalog = Catalog.from_dict(CATALOG)
    assert catalog.get("users") is catalog.streams[0]
    assert catalog.get("nope") is None
