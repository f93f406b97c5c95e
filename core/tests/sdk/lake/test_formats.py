"""The registry of lake formats: settings, extensions and encoders all come from its entries."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest

from elt.errors import ConfigError
from elt.sdk.lake import FORMATS, FormatSpec
from elt.sdk.lake.formats import all_codecs, takes_raw_lines
from elt.sdk.lake.output import FILE_CODECS
from elt.sdk.lake.settings import LakeSettings, config_schema, lake_settings
from tests.fixtures.lake import MemoryStore, MemoryTarget, data_keys, manifests, run_in_process

PROPS = {"id": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}}
MESSAGES: list[dict[str, Any]] = [
    {"type": "SCHEMA", "stream": "s", "schema": {"properties": PROPS}, "key_properties": ["id"]},
    {"type": "RECORD", "stream": "s", "record": {"id": 1, "tags": ["a"]}},
    {"type": "RECORD", "stream": "s", "record": {"id": 2, "tags": []}},
    {"type": "STATE", "value": {"at": 2}},
]


def test_the_format_and_compression_settings_are_derived_from_the_registry() -> None:
    settings = lake_settings()
    assert settings["format"]["enum"] == [*FORMATS, None]
    assert settings["format"]["default"] == next(iter(FORMATS))
    codecs = {codec for spec in FORMATS.values() for codec in spec.codecs}
    assert set(settings["compression"]["enum"]) == codecs | {None}
    for spec in FORMATS.values():
        assert f"{spec.name}: {spec.description}" in settings["format"]["description"]
        assert spec.name in settings["compression"]["description"]


@pytest.mark.parametrize(
    ("fmt", "codec"), [(s.name, codec) for s in FORMATS.values() for codec in s.codecs]
)
def test_every_format_and_codec_names_its_files_by_its_spec(fmt: str, codec: str) -> None:
    spec = FORMATS[fmt]
    extension = LakeSettings.from_config({"format": fmt, "compression": codec}).extension
    if spec.compression == "whole-file":
        assert extension == spec.extension + FILE_CODECS[codec]
    else:  # compressed inside the file: the bare extension, whatever the codec
        assert extension == spec.extension


@pytest.mark.parametrize(
    ("fmt", "foreign"),
    [(s.name, codec) for s in FORMATS.values() for codec in all_codecs() if codec not in s.codecs],
)
def test_a_codec_of_another_format_is_refused_naming_the_ones_that_apply(
    fmt: str, foreign: str
) -> None:
    with pytest.raises(ConfigError, match=", ".join(FORMATS[fmt].codecs)):
        LakeSettings.from_config({"format": fmt, "compression": foreign})


def test_raw_lines_follow_each_formats_spec() -> None:
    nested_as_json = {"properties": {"id": {"type": "integer"}, "doc": {"type": "object"}}}
    typed = {"properties": {"id": {"type": "integer"}, "at": {"type": "string"}}}

    def raw(fmt: str, schema: dict[str, Any]) -> bool:
        return takes_raw_lines(LakeSettings.from_config({"format": fmt}), schema)

    assert (raw("jsonl", nested_as_json), raw("csv", typed)) == (True, False)
    assert (raw("parquet", typed), raw("parquet", nested_as_json)) == (True, False)


def test_a_whole_file_format_may_only_name_codecs_the_output_implements() -> None:
    jsonl = FORMATS["jsonl"]
    with pytest.raises(ValueError, match="brotli"):
        FormatSpec("x", "x", ("brotli",), "whole-file", jsonl.raw_lines, jsonl.encoder, "x files.")


def test_a_new_format_is_one_registry_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A format added to the registry is in --about's enum, checked, named and written."""
    jsonl = FORMATS["jsonl"]
    ndjson = FormatSpec(
        "ndjson",
        extension="ndjson",
        codecs=("zstd", "none"),
        compression="whole-file",
        raw_lines=jsonl.raw_lines,
        encoder=jsonl.encoder,
        description="newline-delimited JSON under its other name.",
    )
    monkeypatch.setitem(FORMATS, "ndjson", ndjson)

    class NdjsonTarget(MemoryTarget):  # its config schema is built now, from the registry
        name = "target-ndjson"

    about = NdjsonTarget.config_jsonschema["properties"]
    assert "ndjson" in about["format"]["enum"]
    assert "ndjson: newline-delimited JSON" in about["format"]["description"]
    assert "ndjson" in config_schema({})["properties"]["format"]["enum"]
    with pytest.raises(ConfigError, match="'gzip' does not apply to ndjson; use one of zstd"):
        LakeSettings.from_config({"format": "ndjson", "compression": "gzip"})

    store = MemoryStore()
    done = run_in_process(NdjsonTarget(store, format="ndjson"), MESSAGES)
    assert done.error is None, done.error
    assert done.states == [{"at": 2}]
    (key,) = data_keys(store)
    assert key.endswith(".ndjson.zst")
    data = pa.input_stream(pa.BufferReader(store.read(key)), compression="zstd").read()
    assert [json.loads(line) for line in data.splitlines()] == [m["record"] for m in MESSAGES[1:3]]
    assert manifests(store)[0]["settings"]["format"] == "ndjson"
