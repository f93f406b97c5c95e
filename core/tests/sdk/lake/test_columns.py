"""Parquet typing: lossless values pass, lossy ones are errors naming line and property."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import elt.sdk.lake
from elt.errors import ProtocolError
from elt.sdk.lake.columns import has_tiny_number, plan
from elt.sdk.lake.formats import takes_raw_lines
from elt.sdk.lake.settings import LakeSettings
from tests.fixtures.lake import MemoryStore, MemoryTarget, data_keys, read_records, run_in_process


def load(properties: dict[str, Any], values: list[Any], **config: Any) -> tuple[Any, MemoryStore]:
    store = MemoryStore()
    messages = [
        {"type": "SCHEMA", "stream": "s", "schema": {"type": "object", "properties": properties}}
    ]
    messages += [{"type": "RECORD", "stream": "s", "record": {"v": v}} for v in values]
    return run_in_process(MemoryTarget(store, format="parquet", **config), messages), store


def column(store: MemoryStore) -> list[Any]:
    return [row["v"] for row in read_records(store, data_keys(store)[0])]


def test_an_integral_float_fits_an_integer_column() -> None:
    done, store = load({"v": {"type": "integer"}}, [1, 2.0, None])
    assert done.error is None
    assert column(store) == [1, 2, None]


@pytest.mark.parametrize(
    ("spec", "values", "line", "words"),
    [
        ({"type": "integer"}, [1, 1.5], 3, "1.5"),
        ({"type": "integer"}, [2**63], 2, "64-bit"),
        ({"type": "string"}, ["a", 5], 3, "5"),
        ({"type": "boolean"}, [True, "yes"], 3, "'yes'"),
        ({"type": "string", "format": "date-time"}, ["2026-01-01T00:00:00Z", "noon"], 3, "'noon'"),
        ({"type": "number"}, [1, "x"], 3, "'x'"),
    ],
)
def test_a_value_that_does_not_fit_its_column_names_line_and_property(
    spec: dict[str, Any], values: list[Any], line: int, words: str
) -> None:
    done, store = load({"v": spec}, values)
    assert isinstance(done.error, ProtocolError)
    text = str(done.error)
    assert f"line {line}" in text
    assert "property 'v'" in text
    assert words in text
    assert store.objects == {}


def test_a_decimal_that_needs_more_scale_is_an_error_not_rounded() -> None:
    done, _ = load({"v": {"type": "number"}}, [0.123456789012], parquet_number="decimal")
    assert isinstance(done.error, ProtocolError)
    assert "decimal_scale" in str(done.error)


def test_multiple_of_sets_the_decimal_scale() -> None:
    done, store = load(
        {"v": {"type": "number", "multipleOf": 0.01}}, [1.25], parquet_number="decimal"
    )
    assert done.error is None
    assert str(column(store)[0]) == "1.25"


def test_a_struct_with_an_undeclared_key_is_an_error() -> None:
    spec = {"type": "object", "properties": {"a": {"type": "integer"}}}
    done, _ = load({"v": spec}, [{"a": 1}, {"a": 2, "b": 3}], nested="struct")
    assert isinstance(done.error, ProtocolError)
    assert "v.b" in str(done.error)


def test_a_property_missing_from_the_schema_is_an_error_in_parquet() -> None:
    store = MemoryStore()
    messages = [
        {
            "type": "SCHEMA",
            "stream": "s",
            "schema": {"type": "object", "properties": {"a": {"type": "integer"}}},
        },
        {"type": "RECORD", "stream": "s", "record": {"a": 1, "zz": 2}},
    ]
    done = run_in_process(MemoryTarget(store, format="parquet"), messages)
    assert isinstance(done.error, ProtocolError)
    assert "'zz'" in str(done.error)
    assert "line 2" in str(done.error)


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ({"type": ["object", "null"]}, "json"),
        ({"type": "array", "items": {"type": "integer"}}, "json"),
        ({"type": ["string", "object"]}, "json"),  # may hold an object: every value as JSON
        ({"anyOf": [{"type": "array"}, {"type": "null"}]}, "json"),
        ({"type": ["string", "integer"]}, "text"),
        ({}, "text"),
    ],
)
def test_a_property_that_may_hold_an_object_or_array_is_a_nested_json_column(
    spec: dict[str, Any], kind: str
) -> None:
    for text_only in (True, False):  # csv, and parquet with nested: json
        (col,) = plan({"v": spec}, text_only=text_only, number="double", scale=9, struct=False)
        assert col.kind == kind


def test_a_struct_holding_a_nested_json_column_is_not_read_from_raw_lines() -> None:
    settings = LakeSettings.from_config({"format": "parquet", "nested": "struct"})
    typed = {"properties": {"d": {"type": "object", "properties": {"n": {"type": "integer"}}}}}
    untyped = {"properties": {"d": {"type": "object", "properties": {"m": {"type": "object"}}}}}
    assert takes_raw_lines(settings, typed)
    assert not takes_raw_lines(settings, untyped)


def test_the_public_api_is_what_all_lists() -> None:
    assert all(hasattr(elt.sdk.lake, name) for name in elt.sdk.lake.__all__)
    assert {"LakeTarget", "ObjectStore", "Upload", "LAKE_SETTINGS"} <= set(elt.sdk.lake.__all__)


@pytest.mark.parametrize(
    ("text", "tiny"),
    [
        (b'{"x":1e-400}', True),
        (b'{"x":-2.5E-330}', True),
        (b'{"x":1e-05}', False),
        (b'{"x":1e-38}', False),
        (b'{"x":0e-500}', False),
        (b'{"t":"re-run e-mail ..e-500 v1e-999"}', True),  # a look too many costs time only
        (b'{"t":"x-e-123"}', False),
    ],
)
def test_a_number_too_small_for_a_column_is_found_in_json_text(text: bytes, tiny: bool) -> None:
    assert has_tiny_number(text) is tiny


@pytest.mark.parametrize("kind", ["double", "decimal"])
def test_a_number_pyarrow_would_read_as_zero_is_refused_not_stored_as_zero(kind: str) -> None:
    done, store = load(
        {"v": {"type": "number"}}, [0, 1.5, Decimal("1.23E-328")], parquet_number=kind
    )
    assert isinstance(done.error, ProtocolError)
    assert "line 4" in str(done.error)
    assert data_keys(store) == []
