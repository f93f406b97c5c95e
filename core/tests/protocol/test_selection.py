from __future__ import annotations

import pytest

from elt.errors import ConfigError
from elt.protocol import (
    Catalog,
    SelectionRule,
    apply_selection,
    explain_selection,
    property_breadcrumb,
)


def catalog() -> Catalog:
    props = {
        "id": {"type": "integer"},
        "email": {"type": "string"},
        "password": {"type": "string"},
        "address": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
        },
    }
    streams = [
        {
            "tap_stream_id": name,
            "schema": {"properties": props},
            "metadata": [
                {"breadcrumb": [], "metadata": {"selected-by-default": True}},
                {"breadcrumb": ["properties", "id"], "metadata": {"inclusion": "automatic"}},
            ],
        }
        for name in ("users", "user_events", "orders")
    ]
    return Catalog.from_dict({"streams": streams})


def selected(cat: Catalog) -> dict[str, list[str]]:
    out = {}
    for entry in cat.streams:
        if entry.is_selected():
            out[entry.tap_stream_id] = [
                ".".join(p) for p in entry.property_paths()
                if entry.is_selected(property_breadcrumb(p))
            ]  # fmt: skip
    return out


def test_stream_star_selects_the_whole_stream_only() -> None:
    assert selected(apply_selection(catalog(), ["users.*"])) == {
        "users": ["id", "email", "password", "address", "address.city", "address.zip"]
    }


def test_bare_stream_name_means_all_of_it() -> None:
    assert selected(apply_selection(catalog(), ["orders"])) == selected(
        apply_selection(catalog(), ["orders.*"])
    )


def test_named_property_selects_it_and_automatic_keys() -> None:
    assert selected(apply_selection(catalog(), ["users.email"])) == {"users": ["id", "email"]}


def test_exclusion_removes_a_property() -> None:
    result = selected(apply_selection(catalog(), ["users.*", "!users.password"]))
    assert "password" not in result["users"]
    assert "email" in result["users"]


def test_exclusion_cannot_remove_an_automatic_key() -> None:
    assert "id" in selected(apply_selection(catalog(), ["users.*", "!users.id"]))["users"]


def test_globs_match_streams_and_properties() -> None:
    assert selected(apply_selection(catalog(), ["user*.e*"])) == {
        "users": ["id", "email"],
        "user_events": ["id", "email"],
    }


def test_excluding_a_whole_stream_overrides_an_include() -> None:
    assert set(selected(apply_selection(catalog(), ["*.*", "!orders"]))) == {"users", "user_events"}


def test_nested_property_brings_its_parent_object() -> None:
    assert selected(apply_selection(catalog(), ["users.address.city"])) == {
        "users": ["id", "address", "address.city"]
    }


def test_excluding_a_parent_excludes_its_children() -> None:
    result = selected(apply_selection(catalog(), ["users.*", "!users.address"]))
    assert not any(p.startswith("address") for p in result["users"])


def test_unmatched_streams_are_explicitly_deselected_despite_defaults() -> None:
    result = apply_selection(catalog(), ["users.*"])
    orders = result.get("orders")
    assert orders is not None
    assert orders.metadata[()]["selected"] is False


def test_apply_selection_leaves_the_input_catalog_unchanged() -> None:
    original = catalog()
    apply_selection(original, ["users.email"])
    assert "selected" not in original.streams[0].metadata[()]


@pytest.mark.parametrize("rule", ["", "!", ".email", "users."])
def test_malformed_rule_is_a_clear_error(rule: str) -> None:
    with pytest.raises(ConfigError, match=r"STREAM\.PROPERTY"):
        SelectionRule.parse(rule)


def test_explain_names_what_each_rule_did_to_each_property() -> None:
    cat = catalog()
    cat.get("users").metadata[property_breadcrumb(("password",))] = {"inclusion": "unsupported"}
    lines = explain_selection(cat, ["users.*", "!users.address.zip"])
    users = {line.name: line.status for line in lines if line.stream == "users"}
    assert users == {
        "users": "selected",
        "users.id": "automatic",
        "users.email": "selected",
        "users.password": "unsupported",
        "users.address": "selected",
        "users.address.city": "selected",
        "users.address.zip": "excluded",
    }
    assert {line.status for line in lines if line.stream == "orders"} == {"not selected"}


def test_explain_without_rules_follows_the_taps_defaults() -> None:
    cat = catalog()
    cat.get("orders").metadata[()] = {"selected-by-default": False}
    statuses = {line.name: line.status for line in explain_selection(cat, [])}
    assert statuses["users"] == "selected"
    assert statuses["users.id"] == "automatic"
    assert statuses["orders"] == "not selected"
    assert statuses["orders.id"] == "not selected"
