from __future__ import annotations

from elt.protocol import Catalog
from elt.run import apply_metadata

CATALOG = Catalog.from_dict(
    {
        "streams": [
            {"tap_stream_id": "public-users", "schema": {"properties": {"id": {}}}},
            {"tap_stream_id": "public-orders", "schema": {"properties": {"id": {}}}},
            {"tap_stream_id": "audit-log", "schema": {"properties": {"id": {}}}},
        ]
    }
)


def test_metadata_is_set_on_the_root_breadcrumb_of_streams_matching_a_glob() -> None:
    catalog, unused = apply_metadata(
        CATALOG,
        {"public-*": {"replication-method": "INCREMENTAL", "replication-key": "updated_at"}},
    )
    assert unused == []
    users = catalog.get("public-users")
    assert users is not None
    assert users.metadata[()] == {
        "replication-method": "INCREMENTAL",
        "replication-key": "updated_at",
    }
    assert (users.replication_method, users.replication_key) == ("INCREMENTAL", "updated_at")
    audit = catalog.get("audit-log")
    assert audit is not None
    assert audit.metadata == {}


def test_metadata_keeps_what_the_tap_set_and_leaves_the_input_catalog_alone() -> None:
    tapped = Catalog.from_dict(
        {
            "streams": [
                {
                    "tap_stream_id": "users",
                    "schema": {},
                    "metadata": [{"breadcrumb": [], "metadata": {"selected": True}}],
                }
            ]
        }
    )
    catalog, _ = apply_metadata(tapped, {"users": {"replication-method": "FULL_TABLE"}})
    assert catalog.streams[0].metadata[()] == {
        "selected": True,
        "replication-method": "FULL_TABLE",
    }
    assert tapped.streams[0].metadata[()] == {"selected": True}


def test_a_metadata_pattern_that_matches_no_stream_is_reported() -> None:
    _, unused = apply_metadata(CATALOG, {"userz": {"selected": True}, "audit-*": {}})
    assert unused == ["userz"]
