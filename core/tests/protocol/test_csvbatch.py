"""The csv BATCH contract: the ``batch_config`` setting read and checked, file names, fields."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from elt.errors import ConfigError
from elt.protocol.csvbatch import (
    DEFAULT_BATCH_SIZE,
    NULL_FIELD,
    CsvBatchSettings,
    batch_config,
    parse_batch_config,
    quote,
)
from tests.fixtures.taps import csv_batch_config


def settings_of(config: dict[str, Any]) -> CsvBatchSettings | None:
    return parse_batch_config(config, "tap-x")


def test_settings_take_a_file_url_or_a_path_and_leave_the_folder_to_the_tap(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "a" / "b"
    settings = settings_of(csv_batch_config(folder.as_uri(), batch_size=7))
    assert settings == CsvBatchSettings(folder, "", "none", 7)
    assert not folder.exists()
    assert settings_of(csv_batch_config(str(folder))) == CsvBatchSettings(
        folder, "", "none", DEFAULT_BATCH_SIZE
    )


def test_the_run_s_batch_config_reads_back_as_csv_files_in_its_folder(tmp_path: Path) -> None:
    settings = settings_of({"batch_config": batch_config(tmp_path)})
    assert settings == CsvBatchSettings(tmp_path, "", "none", DEFAULT_BATCH_SIZE)
    assert settings.encoding == {"format": "csv", "compression": "none"}


def test_other_formats_and_no_batch_config_are_not_csv_batches(tmp_path: Path) -> None:
    assert settings_of({}) is None
    jsonl = csv_batch_config(str(tmp_path))
    jsonl["batch_config"]["encoding"]["format"] = "jsonl"
    assert settings_of(jsonl) is None


@pytest.mark.parametrize(
    ("config", "where"),
    [
        ({"batch_config": ["csv"]}, "batch_config"),
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
        settings_of(config)
    assert raised.value.where == where
    assert raised.value.exit_code == 78


def test_file_names_are_fresh_and_safe_whatever_the_stream_name(tmp_path: Path) -> None:
    settings = CsvBatchSettings(tmp_path, "run1-", "gzip", 3)
    first, second = settings.new_path("tap-x", "../a b"), settings.new_path("tap-x", "../a b")
    assert first != second
    assert first.parent == tmp_path
    assert first.name.startswith("run1-tap-x--.._a_b-")
    assert first.name.endswith(".csv.gz")


def test_a_quoted_field_reads_back_as_its_text_and_null_is_the_bare_empty_field() -> None:
    texts = ["", 'say "hi"', "a,b", "two\nlines", "\\."]
    line = ",".join([*map(quote, texts), NULL_FIELD]) + "\n"
    (row,) = csv.reader(io.StringIO(line, newline=""))
    assert row == [*texts, ""]
    assert line.startswith('"",')  # the empty string is quoted: never read as NULL
