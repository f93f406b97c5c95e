"""Lake settings: defaults, codecs that fit the format, the merged config schema."""

from __future__ import annotations

import pytest

from elt.errors import ConfigError
from elt.sdk.lake.settings import LAKE_SETTINGS, LakeSettings, config_schema, secret_settings


def test_defaults_are_gzip_jsonl_in_hive_partitions() -> None:
    settings = LakeSettings.from_config({})
    assert (settings.format, settings.compression, settings.extension) == (
        "jsonl",
        "gzip",
        "jsonl.gz",
    )
    assert settings.path_template == "{stream}/dt={date}/part-{run_id}-{part}.{ext}"


@pytest.mark.parametrize(
    ("config", "extension"),
    [
        ({"format": "parquet"}, "parquet"),
        ({"format": "csv", "compression": "zstd"}, "csv.zst"),
        ({"format": "jsonl", "compression": "none"}, "jsonl"),
    ],
)
def test_the_extension_follows_format_and_codec(config: dict[str, str], extension: str) -> None:
    assert LakeSettings.from_config(config).extension == extension


@pytest.mark.parametrize(
    ("config", "setting"),
    [
        ({"format": "jsonl", "compression": "snappy"}, "compression"),
        ({"compression": "none", "compression_level": 3}, "compression_level"),
        ({"prefix": "a/../b"}, "prefix"),
        ({"max_rows": 0}, "max_rows"),
        ({"buffer_size": 10}, "buffer_size"),
    ],
)
def test_a_setting_out_of_range_is_a_config_error_naming_it(
    config: dict[str, object], setting: str
) -> None:
    with pytest.raises(ConfigError, match=setting):
        LakeSettings.from_config(config)


def test_store_settings_come_first_and_required_ones_are_required() -> None:
    store = {
        "bucket": {"type": "string", "required": True, "description": "Bucket."},
        "key": {"type": ["string", "null"], "secret": True, "writeOnly": True},
    }
    schema = config_schema(store)
    assert list(schema["properties"])[:2] == ["bucket", "key"]
    assert schema["required"] == ["bucket"]
    assert "required" not in schema["properties"]["bucket"]
    assert secret_settings(schema) == {"key"}
    assert set(LAKE_SETTINGS) <= set(schema["properties"])


def test_every_lake_setting_is_documented() -> None:
    assert all(len(spec.get("description", "")) > 20 for spec in LAKE_SETTINGS.values())


def test_a_store_setting_may_not_shadow_a_lake_setting() -> None:
    with pytest.raises(TypeError, match="format"):
        config_schema({"format": {"type": "string"}})
