"""The taps' side of csv BATCH: the settings read with their folder created."""

from __future__ import annotations

from pathlib import Path

import pytest

from elt.errors import ConfigError
from elt.protocol.csvbatch import CsvBatchSettings
from elt.sdk.csvbatch import csv_batch_settings
from tests.fixtures.taps import csv_batch_config


def test_the_tap_s_settings_create_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    settings = csv_batch_settings(csv_batch_config(folder.as_uri(), batch_size=7), "tap-x")
    assert settings == CsvBatchSettings(folder, "", "none", 7)
    assert folder.is_dir()


def test_a_folder_that_cannot_be_created_is_a_config_error_naming_the_root(
    tmp_path: Path,
) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="cannot create folder") as raised:
        csv_batch_settings(csv_batch_config(str(tmp_path / "file" / "batches")), "tap-x")
    assert raised.value.where == "batch_config.storage.root"
