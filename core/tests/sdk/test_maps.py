"""Inline stream maps in front of a target's lean path, through singer-sdk's own mapper."""

from __future__ import annotations

import copy
import hashlib
import logging
from typing import Any

import pytest
from singer_sdk.mapper import PluginMapper

from elt.errors import ConfigError
from elt.sdk import StreamMaps, add_map_settings, maps_configured
from elt.sdk.maps import MAP_SETTINGS

PEOPLE: dict[str, Any] = {
    "type": "SCHEMA",
    "stream": "people",
    "schema": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": ["string", "null"]},
            "email": {"type": ["string", "null"]},
            "age": {"type": ["integer", "null"]},
        },
    },
    "key_properties": ["id"],
    "bookmark_properties": ["id"],
}
CUSTOMERS_MAP = {
    "__alias__": "customers",
    "__filter__": "age >= 18",
    "name": None,
    "email": "__NULL__",
    "email_hash": "md5(email)",
}


def person(id_: int, age: int, **extra: Any) -> dict[str, Any]:
    record = {"id": id_, "name": f"n{id_}", "email": f"p{id_}@example.com", "age": age}
    return {"type": "RECORD", "stream": "people", "record": record, **extra}


def maps_for(**config: Any) -> StreamMaps:
    return StreamMaps(PluginMapper(config, logging.getLogger("test")))


def test_maps_are_configured_by_a_stream_map_or_flattening() -> None:
    assert not maps_configured({})
    assert not maps_configured({"stream_maps": {}, "flattening_enabled": False})
    assert maps_configured({"stream_maps": {"people": {"__alias__": "p"}}})
    assert maps_configured({"flattening_enabled": True, "flattening_max_depth": 1})


def test_a_mapped_schema_is_renamed_with_dropped_and_hashed_properties_and_the_keys_kept() -> None:
    maps = maps_for(stream_maps={"people": CUSTOMERS_MAP})

    [schema] = maps.schema(PEOPLE)

    assert schema["stream"] == "customers"
    assert schema["key_properties"] == ["id"]
    assert schema["bookmark_properties"] == ["id"]
    assert list(schema["schema"]["properties"]) == ["id", "age", "email_hash"]
    assert schema["schema"]["properties"]["email_hash"]["type"] == ["string", "null"]


def test_records_are_filtered_renamed_and_hashed() -> None:
    maps = maps_for(stream_maps={"people": CUSTOMERS_MAP})
    maps.schema(PEOPLE)

    assert maps.record(person(1, age=17)) == []
    [adult] = maps.record(person(2, age=30, version=7))

    assert adult == {
        "type": "RECORD",
        "stream": "customers",
        "record": {
            "id": 2,
            "age": 30,
            "email_hash": hashlib.md5(b"p2@example.com").hexdigest(),
        },
        "version": 7,
    }


def test_the_incoming_record_is_left_unchanged() -> None:
    maps = maps_for(stream_maps={"people": CUSTOMERS_MAP})
    maps.schema(PEOPLE)
    message = person(2, age=30)

    maps.record(message)

    assert message == person(2, age=30)


def test_a_stream_no_map_mentions_passes_through_as_the_same_message() -> None:
    maps = maps_for(stream_maps={"other": {"__alias__": "x"}})
    message = person(1, age=40)

    assert maps.schema(PEOPLE) == [PEOPLE]
    assert maps.record(message)[0] is message
    assert maps.passes_through("people")


def test_a_source_map_copies_a_stream_under_a_second_name() -> None:
    maps = maps_for(
        stream_maps={"adults": {"__source__": "people", "__filter__": "age >= 18", "age": None}}
    )

    assert [s["stream"] for s in maps.schema(PEOPLE)] == ["people", "adults"]
    assert [m["stream"] for m in maps.record(person(1, age=40))] == ["people", "adults"]
    assert [m["stream"] for m in maps.record(person(2, age=10))] == ["people"]
    assert not maps.passes_through("people")


def test_a_dropped_stream_sends_nothing() -> None:
    maps = maps_for(stream_maps={"people": None})

    assert maps.schema(PEOPLE) == []
    assert maps.record(person(1, age=40)) == []
    assert maps.activate_version({"type": "ACTIVATE_VERSION", "stream": "people"}) == []


def test_else_null_drops_every_stream_not_mapped() -> None:
    maps = maps_for(stream_maps={"__else__": None, "orders": {}})

    assert maps.schema(PEOPLE) == []
    assert maps.record(person(1, age=40)) == []


def test_activate_version_goes_to_the_aliased_stream() -> None:
    maps = maps_for(stream_maps={"people": CUSTOMERS_MAP})
    maps.schema(PEOPLE)

    assert maps.activate_version(
        {"type": "ACTIVATE_VERSION", "stream": "people", "version": 3}
    ) == [{"type": "ACTIVATE_VERSION", "stream": "customers", "version": 3}]


def test_records_follow_a_new_schema_for_the_same_stream() -> None:
    maps = maps_for(stream_maps={"people": {"email": "md5(email)"}})
    maps.schema(PEOPLE)
    wider = copy.deepcopy(PEOPLE)
    wider["schema"]["properties"]["city"] = {"type": ["string", "null"]}
    message = person(1, age=40)
    message["record"]["city"] = "Oslo"

    [schema] = maps.schema(wider)
    [record] = maps.record(message)

    assert "city" in schema["schema"]["properties"]
    assert record["record"]["city"] == "Oslo"
    assert record["record"]["email"] == hashlib.md5(b"p1@example.com").hexdigest()


def test_flattening_alone_flattens_nested_objects() -> None:
    maps = maps_for(flattening_enabled=True, flattening_max_depth=1)
    nested = {
        "type": "SCHEMA",
        "stream": "s",
        "schema": {"type": "object", "properties": {
            "id": {"type": "integer"},
            "address": {"type": "object", "properties": {"city": {"type": "string"}}}}},
        "key_properties": ["id"],
    }  # fmt: skip

    [schema] = maps.schema(nested)
    [record] = maps.record({"type": "RECORD", "stream": "s", "record": {
        "id": 1, "address": {"city": "Oslo"}}})  # fmt: skip

    assert list(schema["schema"]["properties"]) == ["id", "address__city"]
    assert record["record"] == {"id": 1, "address__city": "Oslo"}


def test_an_unparsable_expression_is_a_config_error_at_the_schema() -> None:
    maps = maps_for(stream_maps={"people": {"h": "md5(email"}})

    with pytest.raises(ConfigError) as caught:
        maps.schema(PEOPLE)

    assert caught.value.exit_code == 78
    assert "stream 'people'" in str(caught.value)
    assert "md5(email" in str(caught.value)


def test_an_unknown_property_in_an_expression_is_a_config_error_naming_it() -> None:
    maps = maps_for(stream_maps={"people": {"h": "md5(emial)"}})
    maps.schema(PEOPLE)

    with pytest.raises(ConfigError) as caught:
        maps.record(person(1, age=40))

    text = str(caught.value)
    assert text.startswith("stream_maps, stream 'people': ")
    assert "md5(emial)" in text
    assert "'emial' is not defined" in text


def test_removing_a_key_property_is_a_config_error() -> None:
    maps = maps_for(stream_maps={"people": {"id": None}})

    with pytest.raises(ConfigError, match="Removing key property 'id'"):
        maps.schema(PEOPLE)


def test_map_settings_are_singer_sdks_and_an_existing_setting_wins() -> None:
    schema: dict[str, Any] = {"properties": {"flattening_enabled": {"type": "string"}}}

    add_map_settings(schema)

    assert {"stream_maps", "stream_map_config", "faker_config", "flattening_max_depth"} <= set(
        schema["properties"]
    )
    assert schema["properties"]["flattening_enabled"] == {"type": "string"}
    assert schema["properties"]["stream_maps"] == MAP_SETTINGS["stream_maps"]
