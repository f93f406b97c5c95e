"""Every stream of singer-sdk's ``target_test_streams`` loads, and the tables hold the data.

The SDK's standard suite only checks that a target does not crash on these files; here each
file is loaded and the resulting tables are compared with what the records said.
"""

from __future__ import annotations

import importlib.resources
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from singer_sdk.exceptions import MissingKeyPropertiesError, RecordsWithoutSchemaException
from singer_sdk.testing import target_test_streams

from elt.errors import ProtocolError

Load = Callable[..., Any]


def stream_file(name: str) -> bytes:
    return (importlib.resources.files(target_test_streams) / f"{name}.singer").read_bytes()


def test_array_data_lands_as_jsonb_arrays(load: Load, db: Any) -> None:
    loaded = load(stream_file("array_data"))

    assert db.columns("public", "test_array_data") == {"id": "bigint", "fruits": "jsonb"}
    assert db.rows("SELECT id, fruits FROM test_array_data ORDER BY id") == [
        (1, ["apple", "orange", "pear"]),
        (2, ["banana", "apple"]),
        (3, ["pear"]),
        (4, ["orange", "banana", "apple", "pear"]),
    ]
    assert loaded.states == [{"test_array_data": 4}]


def test_camelcase_names_are_kept_exactly(load: Load, db: Any) -> None:
    load(stream_file("camelcase"))

    assert db.rows('SELECT "Id", "clientName" FROM "TestCamelcase" ORDER BY "Id"') == [
        ("1", "Gitter Windows Desktop App"),
        ("2", "Gitter iOS App"),
    ]


def test_camelcase_complex_schema_update_adds_the_new_columns(load: Load, db: Any) -> None:
    load(stream_file("camelcase_complex_schema"))

    columns = db.columns("public", "ForecastingTypeToCategory")
    assert columns["Id"] == "text"
    assert columns["IsDeleted"] == "boolean"
    # anyOf [date-time, string]: text holds both, a timestamp would reject a plain string
    assert columns["CreatedDate"] == "text"
    assert columns["DisplayPosition"] == "bigint"
    assert columns["age"] == "bigint"
    assert columns["NewCamelCasedAttribute"] == "text"
    assert columns["_attribute_startswith_underscore"] == "text"


def test_duplicate_records_keep_the_last_record_of_each_key(load: Load, db: Any) -> None:
    load(stream_file("duplicate_records"))

    assert db.rows("SELECT id, metric FROM test_duplicate_records ORDER BY id") == [
        (1, 100),
        (2, 20),
    ]


def test_encoded_strings_load_exactly_with_nul_characters_removed_and_counted_by_default(
    load: Load, db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        load(stream_file("encoded_string_data"))

    # NULs change the data, so that is never silent: one warning per stream and commit
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert sorted(w.split(":")[0] for w in warnings) == [
        "Stream 'test_strings'",
        "Stream 'test_strings_in_arrays'",
        "Stream 'test_strings_in_objects'",
    ]
    assert all("NUL" in w and "removed from 1 records" in w for w in warnings), warnings

    strings = dict(db.rows("SELECT id, info FROM test_strings"))
    assert strings[2] == "απλή συμβολοσειρά"
    assert strings[3] == "简单的字串"
    assert strings[5] == 'quoted "string"'
    assert strings[6] == 'various " \\ / \n escape sequences'
    assert strings[7] == "m"
    assert strings[10] == "Double quoting: \\u0000 \\u0041 \\u0001"
    assert strings[11] == "Control Characters in string:  A \x01"
    objects = dict(db.rows("SELECT id, info FROM test_strings_in_objects"))
    assert objects[6] == {"name": "escape sequences", "value": 'various " \\ / \n escape sequences'}
    assert objects[11] == {"name": "Control Characters in string", "value": " A \x01"}
    arrays = dict(db.rows("SELECT id, strings FROM test_strings_in_arrays"))
    assert arrays[2] == ["chaîne simple", 'quoted "string"']
    assert arrays[5] == ["aaa", "Double quoting: \\u0000 \\u0041 \\u0001"]
    assert arrays[6] == ["bbb", "Control Characters in string:  A \x01"]


def test_encoded_strings_with_nul_characters_are_an_error_when_sanitizing_is_off(
    load: Load, db: Any
) -> None:
    with pytest.raises(ProtocolError, match="NUL") as raised:
        load(stream_file("encoded_string_data"), sanitize_null_text_characters=False)

    assert "line 12" in str(raised.value)
    assert "stream 'test_strings'" in str(raised.value)
    assert "property 'info'" in str(raised.value)
    assert "sanitize_null_text_characters" in str(raised.value)
    assert db.tables() == []


def test_invalid_schema_is_an_error(load: Load) -> None:
    with pytest.raises(ProtocolError, match='no "properties"'):
        load(stream_file("invalid_schema"))


def test_multiple_state_messages_emit_the_last_state_after_the_commit(load: Load, db: Any) -> None:
    loaded = load(stream_file("multiple_state_messages"))

    assert loaded.states == [
        {"test_multiple_state_messages_a": 5, "test_multiple_state_messages_b": 6}
    ]
    assert db.rows("SELECT count(*) FROM test_multiple_state_messages_a") == [(6,)]
    assert db.rows("SELECT count(*) FROM test_multiple_state_messages_b") == [(6,)]


def test_streams_without_primary_keys_append(load: Load, db: Any) -> None:
    load(stream_file("no_primary_keys"))
    load(stream_file("no_primary_keys_append"))

    assert db.rows("SELECT id, metric FROM test_no_pk ORDER BY metric") == [
        (1, 11),
        (2, 22),
        (3, 33),
        (1, 101),
        (2, 202),
        (3, 303),
        (4, 404),
        (5, 505),
    ]


def test_optional_attributes_are_null_when_absent(load: Load, db: Any) -> None:
    load(stream_file("optional_attributes"))

    assert db.rows("SELECT id, optional FROM test_optional_attributes ORDER BY id") == [
        (1, "This is optional"),
        (2, None),
        (3, "Also optional"),
        (4, None),
    ]


def test_pk_updates_without_message_keys_append(load: Load, db: Any) -> None:
    load(stream_file("pk_updates"))

    assert db.rows("SELECT id, name, email FROM example_stream ORDER BY id") == [
        (1, "Alice", "alice@example.com"),
        (2, "Bob", "bob@example.com"),
    ]


def test_record_before_schema_is_an_error(load: Load, db: Any) -> None:
    with pytest.raises(RecordsWithoutSchemaException, match="before"):
        load(stream_file("record_before_schema"))

    assert db.tables() == []


def test_record_missing_fields_loads_nulls(load: Load, db: Any) -> None:
    load(stream_file("record_missing_fields"))

    assert db.rows("SELECT id, optional FROM record_missing_fields ORDER BY id") == [
        (1, "now you see me"),
        (2, None),
    ]


def test_record_missing_key_property_is_an_error(load: Load, db: Any) -> None:
    with pytest.raises(MissingKeyPropertiesError, match="key property 'id'"):
        load(stream_file("record_missing_key_property"))

    assert db.tables() == []


def test_record_missing_required_property_loads_a_null(load: Load, db: Any) -> None:
    load(stream_file("record_missing_required_property"))

    assert db.rows("SELECT id, metric FROM test_record_missing_required_property") == [(None, 3215)]


def test_objects_with_and_without_properties_land_as_jsonb(load: Load, db: Any) -> None:
    load(stream_file("schema_no_properties"))

    assert db.rows("SELECT object_store FROM test_object_schema_with_properties") == [
        ({"id": 1, "metric": 187},),
        ({"id": 2, "metric": 203},),
    ]
    assert db.rows("SELECT object_store FROM test_object_schema_no_properties") == [
        ({"id": 1, "metric": 1},),
        ({"id": 2, "metric": 2},),
    ]


def test_schema_updates_add_columns_and_keep_earlier_rows(load: Load, db: Any) -> None:
    load(stream_file("schema_updates"))

    assert db.columns("public", "test_schema_updates") == {
        "id": "bigint",
        "a1": "numeric",
        "a2": "text",
        "a3": "boolean",
        "a4": "jsonb",
        "a5": "jsonb",
        "a6": "bigint",
    }
    assert db.rows("SELECT * FROM test_schema_updates ORDER BY id") == [
        (1, 101, "string1", None, None, None, None),
        (2, 102, "string2", True, None, None, None),
        (3, 103, "string3", False, {"id": 1, "value": 1}, ["banana", "apple"], None),
        (4, 104, "string4", True, {"id": 2, "value": 22}, ["orange", "pear"], None),
        (5, 105, "string5", False, {"id": 3, "value": 33}, ["apple"], 985),
        (6, 106, "string6", True, {"id": 4, "value": 444}, ["banana", "orange"], 341),
    ]


def test_special_characters_in_stream_and_property_names(load: Load, db: Any) -> None:
    load(stream_file("special_chars_in_attributes"))

    assert db.rows('SELECT _id, d FROM "test:SpecialChars!in?attributes"') == [
        ("a2e98886", {"env": "prod", "agent:type": "desktop", "agent:os:version": "10.13.1"})
    ]


def test_user_location_upserts_update_and_insert(load: Load, db: Any) -> None:
    load(stream_file("user_location_data"))
    load(stream_file("user_location_upsert_data"))

    assert db.rows("SELECT id, name FROM test_users ORDER BY id") == [
        (1, "Johny"),
        (2, "George"),
        (3, "Jacob"),
        (4, "Josh"),
        (5, "Jim"),
        (8, "Thomas"),
        (12, "Paul"),
        (13, "Mary"),
    ]
    assert db.rows("SELECT id, name FROM test_locations ORDER BY id") == [
        (1, "Philly"),
        (2, "NY"),
        (3, "San Francisco"),
        (6, "Colorado"),
        (8, "Boston"),
    ]
    located = db.rows(
        "SELECT id, user_id, location_id, info FROM test_user_in_location ORDER BY id"
    )
    assert located[0] == (1, 1, 4, {"weather": "rainy", "mood": "sad"})
    assert [row[0] for row in located] == [1, 2, 3, 6, 14]


def test_time_extracted_is_kept_with_record_metadata(load: Load, db: Any) -> None:
    load(stream_file("special_chars_in_attributes"), add_record_metadata=True)

    ((extracted, version),) = db.rows(
        'SELECT _sdc_extracted_at, _sdc_table_version FROM "test:SpecialChars!in?attributes"'
    )
    assert isinstance(extracted, datetime)
    assert extracted.isoformat() == "2018-11-02T22:57:04.841020+00:00"
    assert version == 1541199424491
