"""The README's settings tables are what tap-csv does with each setting, MeltanoLabs' all
included."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tap_csv import TapCsv
from tap_csv.settings import ENTRY_RULES

from tests.fixtures.settings_table import settings_table, table_problems

from .conftest import TAP

README = Path(__file__).resolve().parents[1] / "README.md"

# MeltanoLabs tap-csv (tap_csv/tap.py, meltano.yml and README at github.com/MeltanoLabs/tap-csv
# 1ec6206): its --about has only these three (its capabilities are catalog and discover);
# an entry takes the keys below, and its own example adds `file`, which the tap never reads.
MELTANOLABS = {"files", "csv_files_definition", "add_metadata_columns"}
MELTANOLABS_ENTRY = {
    "entity", "path", "keys", "encoding", "delimiter", "doublequote", "escapechar",
    "quotechar", "skipinitialspace", "strict", "file",
}  # fmt: skip


def about() -> dict:
    run = subprocess.run(
        [str(TAP), "--about", "--format", "json"], capture_output=True, check=True, text=True
    )
    return json.loads(run.stdout)["settings"]


def test_the_top_level_table_is_what_the_tap_declares_and_refuses():
    rows = settings_table(README, "### Top-level settings")

    assert table_problems(rows, about(), TapCsv.setting_rules, MELTANOLABS) == []


def test_the_entity_table_is_what_an_entry_takes_and_refuses():
    entry = about()["properties"]["files"]["items"]
    rows = settings_table(README, "### Entity settings (each entry of `files`)")

    assert table_problems(rows, entry, ENTRY_RULES, MELTANOLABS_ENTRY) == []
