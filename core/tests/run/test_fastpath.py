from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from elt.project import load_project
from elt.protocol.csvbatch import CSV_BATCH
from elt.run import prepare
from elt.run.fastpath import with_csv_batches
from elt.sdk.csvbatch import CSV_BATCH as SDK_CSV_BATCH

PROJECT = """version: 1
plugins:
  taps:
    - {name: tap-x, executable: ./x, config: {files: a.csv, %s}}
  targets:
    - {name: target-y, executable: ./y, config: {dsn: d, %s}}
"""


def invocations(tmp_path: Path, tap_extra: str = "", target_extra: str = "", capable: bool = True):  # type: ignore[no-untyped-def]
    root = tmp_path / "p"
    root.mkdir()
    (root / "plugins.yml").write_text(PROJECT % (tap_extra or "n: 1", target_extra or "m: 1"))
    for name in ("x", "y"):
        (root / name).write_text("#!/bin/sh\n")
        (root / name).chmod(0o755)
    project = load_project(root)
    work = tmp_path / "work"
    work.mkdir()
    found = frozenset({CSV_BATCH}) if capable else frozenset()
    tap, target = (
        dataclasses.replace(
            prepare(project, project.plugin(n), environment=None, workdir=work), capabilities=found
        )
        for n in ("tap-x", "target-y")
    )
    return tap, target, work


def test_the_taps_list_the_capability_the_run_looks_for() -> None:
    assert SDK_CSV_BATCH.value == CSV_BATCH == "elt-csv-batch"


def test_two_capable_plugins_get_csv_files_in_the_private_folder(tmp_path: Path) -> None:
    tap, target, work = invocations(tmp_path)
    changed = with_csv_batches(tap, target, work / "batches")
    assert changed is not None
    new_tap, new_target = changed
    tap_config = json.loads(new_tap.config_file.read_text())
    assert tap_config["batch_config"] == {
        "encoding": {"format": "csv", "compression": "none"},
        "storage": {"root": str(work / "batches")},
    }
    assert tap_config["files"] == "a.csv"
    assert json.loads(new_target.config_file.read_text())["delete_batch_files"] is True
    assert oct(new_tap.config_file.stat().st_mode & 0o777) == "0o600"
    assert oct((work / "batches").stat().st_mode & 0o777) == "0o700"


@pytest.mark.parametrize(
    ("tap_extra", "target_extra"),
    [
        ("batch_config: {encoding: {format: jsonl}}", ""),
        ("stream_maps: {s: {a: __NULL__}}", ""),
        ("", "stream_maps: {s: {a: __NULL__}}"),
        ("", "flattening_enabled: true"),
    ],
)
def test_a_users_batch_config_or_maps_keep_record_lines(
    tmp_path: Path, tap_extra: str, target_extra: str
) -> None:
    tap, target, work = invocations(tmp_path, tap_extra, target_extra)
    assert with_csv_batches(tap, target, work / "batches") is None


def test_a_plugin_without_the_capability_keeps_record_lines(tmp_path: Path) -> None:
    tap, target, work = invocations(tmp_path, capable=False)
    assert with_csv_batches(tap, target, work / "batches") is None
