from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from elt.errors import ConfigError
from elt.sdk.csvbatch import CsvBatchSettings
from elt.sdk.csvbatch import csv_batch_settings as settings_of
from tests.fixtures.taps import csv_batch_config


def csv_batch_settings(config: dict[str, Any]) -> CsvBatchSettings | None:
    return settings_of(config, "tap-x")


def test_settings_take_a_file_url_or_a_path_and_create_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    settings = csv_batch_settings(csv_batch_config(folder.as_uri(), batch_size=7))
    assert settings == CsvBatchSettings(folder, "", "none", 7)
    assert folder.is_dir()
    assert csv_batch_settings(csv_batch_config(str(folder))) == CsvBatchSettings(
        folder, "", "none", 100_000
    )


def test_other_formats_and_no_batch_config_are_not_csv_batches(tmp_path: Path) -> None:
    assert csv_batch_settings({}) is None
    jsonl = csv_batch_config(str(tmp_path))
    jsonl["batch_config"]["encoding"]["format"] = "jsonl"
    assert csv_batch_settings(jsonl) is None


@pytest.mark.parametrize(
    ("config", "where"),
    [
        (csv_batch_config("s3://bucket/batches"), "batch_config.storage.root"),
        (csv_batch_config(""), "batch_config.storage.root"),
        (csv_batch_config("/tmp", compression="zstd"), "batch_config.encoding.compression"),
        (csv_batch_config("/tmp", storage={"prefix": "../up"}), "batch_config.storage.prefix"),
        (csv_batch_config("/tmp", batch_size=0), "batch_config.batch_size"),
        (csv_batch_config("/tmp", batch_size="10"), "batch_config.batch_size"),
    ],
)
def test_bad_batch_settings_are_config_errors_naming_the_setting(
    config: dict[str, Any], where: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        csv_batch_settings(config)
    assert raised.value.where == where


def test_file_names_are_fresh_and_safe_whatever_the_stream_name(tmp_path: Path) -> None:
    settings = CsvBatchSettings(tmp_path, "run1-", "gzip", 3)
    first, second = settings.new_path("tap-x", "../a b"), settings.new_path("tap-x", "../a b")
    assert first != second
    assert first.parent == tmp_path
    assert first.name.startswith("run1-tap-x--.._a_b-")
    assert first.name.endswith(".csv.gz")
