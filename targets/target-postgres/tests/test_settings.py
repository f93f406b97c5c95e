"""The typed view of the config: this target's defaults, values it refuses, and how every
MeltanoLabs setting is handled (the README's table, checked against the plugin)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from target_postgres import TargetPostgres
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


# Every setting MeltanoLabs' target-postgres 0.8.1 lists in --about (singer-sdk 0.54).
MELTANOLABS_SETTINGS = (
    "host", "port", "user", "password", "database", "use_copy", "sqlalchemy_url",
    "dialect+driver", "default_target_schema", "activate_version", "hard_delete",
    "add_record_metadata", "interpret_content_encoding", "sanitize_null_text_characters",
    "ssl_enable", "ssl_client_certificate_enable", "ssl_mode", "ssl_certificate_authority",
    "ssl_client_certificate", "ssl_client_private_key", "ssl_storage_directory", "ssh_tunnel",
    "load_method", "batch_size_rows", "process_activate_version_messages", "validate_records",
    "stream_maps", "stream_map_config", "faker_config", "flattening_enabled",
    "flattening_max_depth", "flattening_max_key_length", "flattening_separator",
)  # fmt: skip
README = Path(__file__).parents[1] / "README.md"


def _readme_table() -> dict[str, str]:
    """MeltanoLabs setting → its status, from the README's table."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## MeltanoLabs' settings", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| (\w+) \|", section, flags=re.MULTILINE)
    return dict(rows)


def test_the_readme_gives_every_meltanolabs_setting_the_status_the_plugin_has(
    target_executable: Path,
) -> None:
    about = json.loads(
        subprocess.run(
            [str(target_executable), "--about", "--format", "json"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    )
    declared = set(about["settings"]["properties"])
    rules = TargetPostgres.setting_rules
    table = _readme_table()

    assert sorted(table) == sorted(MELTANOLABS_SETTINGS)
    for name, status in table.items():
        if status == "supported":
            assert name in declared, name
        else:
            assert name not in declared, name
            assert rules[name].action == {"warned": "warn", "refused": "refuse"}[status], name
    assert set(rules) <= set(table)  # every rule is documented
