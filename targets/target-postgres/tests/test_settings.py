"""The typed view of the config: this target's defaults, and values it refuses."""

from __future__ import annotations

import pytest
from target_postgres.settings import LoadMethod, Settings

from elt.errors import ConfigError


def test_defaults_upsert_in_batches_of_100k_without_metadata_removing_nuls() -> None:
    settings = Settings.from_config({})

    assert settings == Settings(
        load_method=LoadMethod.UPSERT,
        default_target_schema=None,
        add_record_metadata=False,
        activate_version=True,
        hard_delete=False,
        batch_size_rows=100_000,
        max_batch_age_seconds=60.0,
        sanitize_null_text_characters=True,
        delete_batch_files=False,
    )


@pytest.mark.parametrize(
    "config", [{"batch_size_rows": 0}, {"batch_size_rows": -5}, {"max_batch_age_seconds": -1}]
)
def test_batch_limits_out_of_range_are_a_config_error(config: dict[str, int]) -> None:
    with pytest.raises(ConfigError, match="batch_size_rows must be at least 1"):
        Settings.from_config(config)


def test_a_setting_an_orchestrator_wrote_as_null_takes_its_default() -> None:
    nulls = {"activate_version": None, "sanitize_null_text_characters": None}

    assert Settings.from_config(nulls) == Settings.from_config({})
