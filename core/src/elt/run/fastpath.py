"""Between elt's own taps and targets, bulk rows travel as csv files instead of RECORD lines.

A tap that writes elt's csv BATCH files (tap-csv, tap-postgres) and a target that COPYs them
as they are (target-postgres) each list the capability ``elt-csv-batch`` in ``--about`` (the
contract: :mod:`elt.protocol.csvbatch`).
When both ends of a run do, and nothing stands between them (a mapper needs RECORDs), the
run hands the tap a ``batch_config`` for csv files in the run's private directory and the
target ``delete_batch_files: true``, so rows go from the source to ``COPY`` without a JSON
line each: Postgres to Postgres at ~0.55 of ``psql \\copy`` instead of ~0.3 (see
bench/RESULTS.md). Third-party plugins never list the capability, so they keep RECORD lines.

A ``batch_config`` (or ``stream_maps``/flattening, which need records) set by the user wins:
the run then leaves the configs as they are. ``elt run --record-lines`` turns it off.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Final

import orjson

from elt.protocol import dumps
from elt.protocol.csvbatch import CSV_BATCH, SETTING, batch_config
from elt.run.invoker import Invocation, write_private

__all__ = ["with_csv_batches"]

_RECORDS_ONLY: Final = (SETTING, "stream_maps", "flattening_enabled")


def with_csv_batches(
    tap: Invocation, target: Invocation, folder: Path
) -> tuple[Invocation, Invocation] | None:
    """The tap and target reconfigured to pass csv files through ``folder``; None when
    either cannot, or the user's config asks for something else."""
    if CSV_BATCH not in tap.capabilities or CSV_BATCH not in target.capabilities:
        return None
    tap_config = _config(tap)
    target_config = _config(target)
    if any(tap_config.get(key) for key in _RECORDS_ONLY) or any(
        target_config.get(key) for key in _RECORDS_ONLY[1:]
    ):
        return None
    folder.mkdir(mode=0o700)
    tap_config[SETTING] = batch_config(folder)
    target_config.setdefault("delete_batch_files", True)
    return _rewritten(tap, tap_config), _rewritten(target, target_config)


def _config(invocation: Invocation) -> dict[str, Any]:
    config: dict[str, Any] = orjson.loads(invocation.config_file.read_bytes())
    return config


def _rewritten(invocation: Invocation, config: dict[str, Any]) -> Invocation:
    """The invocation with a new private config file (config files are never rewritten)."""
    path = invocation.config_file.with_name(f"{invocation.name}.batch.config.json")
    write_private(path, dumps(config))
    return dataclasses.replace(invocation, config_file=path)
