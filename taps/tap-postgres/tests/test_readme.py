"""The README's settings table is what tap-postgres does with each setting, MeltanoLabs' all
included."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tap_postgres import TapPostgres

from tests.fixtures.settings_table import settings_table, table_problems

from .conftest import TAP

README = Path(__file__).resolve().parents[1] / "README.md"

# Every setting of MeltanoLabs tap-postgres (tap_postgres/tap.py and its README at
# github.com/MeltanoLabs/tap-postgres 2af82ca), with singer-sdk's built-in ones it declares.
MELTANOLABS = {
    "host", "port", "user", "password", "database", "sqlalchemy_url",
    "ssl_enable", "ssl_mode", "ssl_certificate_authority", "ssl_client_certificate_enable",
    "ssl_client_certificate", "ssl_client_private_key", "ssl_storage_directory",
    "ssh_tunnel", "ssh_tunnel.enable", "ssh_tunnel.host", "ssh_tunnel.port",
    "ssh_tunnel.username", "ssh_tunnel.private_key", "ssh_tunnel.private_key_password",
    "filter_schemas", "max_record_count", "stream_options.<stream>.custom_where_clauses",
    "default_replication_method", "dates_as_string", "json_as_object", "use_singer_decimal",
    "replication_slot_name", "replication_max_run_seconds", "replication_idle_exit_seconds",
    "log_based_single_connection", "auto_bootstrap_log_based",
    "stream_maps", "stream_map_config", "faker_config", "flattening_enabled",
    "flattening_max_depth", "batch_config",
}  # fmt: skip


def test_the_settings_table_is_what_the_tap_declares_and_refuses():
    about = subprocess.run(
        [str(TAP), "--about", "--format", "json"], capture_output=True, check=True, text=True
    )
    settings = json.loads(about.stdout)["settings"]
    rows = settings_table(README, "## Settings")

    assert table_problems(rows, settings, TapPostgres.setting_rules, MELTANOLABS) == []
