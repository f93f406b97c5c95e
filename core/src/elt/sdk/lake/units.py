"""Units of a split run in a lake: files named after the unit, a manifest per unit, a run manifest.

When ``ELT_UNIT`` names a unit (:mod:`elt.sdk.unit`), a lake target writes it so that it
lands exactly once, however many attempts it takes:

- **File names carry the unit id, and are the same for every attempt.** The unit id takes
  the place of the run id in ``path_template`` (``{stream}/dt={date}/part-{run_id}-{part}``
  becomes ``…/part-u3f9a…-00000.parquet``) and a unit's parts depend only on its input
  (``commit_interval_seconds`` does not rotate files inside a unit: its STATEs wait for the
  end anyway), so an attempt overwrites, key by key, what an earlier attempt of the unit
  left. Stores replace an object atomically, so a reader never sees half a file. Two
  things an attempt does not overwrite: parts an earlier attempt wrote beyond the ones it
  writes (its input shrank), and files under another ``{date}`` (the run date, when an
  attempt runs on a later day than the one it replaces). No manifest lists those: read a
  split run through its manifests, as below, and each row comes once.
- **The unit's manifest is written last: it is the unit's commit marker.**
  ``{prefix}/_manifests/units/<unit id>.json``, the run manifest's format with
  ``"status": "complete"`` and a ``"unit"`` object (the :class:`UnitIdentity`), listing the
  unit's files; the unit's STATEs are written to stdout only after it. A unit killed before
  has no manifest (its files, if any, are listed by nothing); a later attempt writes it.
- **The run manifest lists the units.** The coordinator runs the target once more after
  every unit committed, with ``ELT_UNIT`` ``{"id": <run's unit id>, …,
  "extra": {"finish": [<unit id>, …]}}`` and the streams' SCHEMA (and ACTIVATE_VERSION)
  messages, if any; that run writes ``{prefix}/_manifests/<id>.json`` as an ordinary run does, with
  a ``"units"`` list: for each unit its id, manifest key and URL, rows and files. Each unit
  manifest must exist and be complete, else nothing is written (exit 65). A reader takes the
  files of every run manifest and of every unit manifest a run manifest lists.
"""

from __future__ import annotations

from typing import Any

import orjson

from elt.errors import ConfigError, ProtocolError
from elt.protocol import UNIT_ENV, UnitIdentity
from elt.sdk.lake.layout import Layout
from elt.sdk.lake.store import ObjectStore
from elt.sdk.unit import parse_unit

__all__ = ["FINISH", "finish_units", "unit_entries"]

FINISH = "finish"
"""The key of :attr:`UnitIdentity.extra` listing the units a finishing run covers."""


def finish_units(unit: UnitIdentity | None) -> tuple[str, ...] | None:
    """The unit ids the run manifest lists, when ``unit`` is the coordinator's finishing run;
    None for an ordinary run or a unit."""
    if unit is None or FINISH not in unit.extra:
        return None
    ids = unit.extra[FINISH]
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ConfigError(
            f'the environment variable {UNIT_ENV} has an "extra.{FINISH}" that is not a list '
            "of unit ids",
            hint=f'{FINISH} lists the ids of the units the run manifest covers: ["u3f…", …]',
        )
    for unit_id in ids:  # the same rules as a unit's own id: they name files
        parse_unit(orjson.dumps({"id": unit_id}).decode())
    return tuple(dict.fromkeys(ids))


def unit_entries(store: ObjectStore, layout: Layout, ids: tuple[str, ...]) -> list[dict[str, Any]]:
    """The run manifest's ``units``: each unit's manifest, checked to be there and complete."""
    entries = []
    present: set[str] | None = None
    for unit_id in ids:
        key = layout.unit_manifest_key(unit_id)
        url = store.describe(key)
        if present is None:  # one listing of the units' folder
            present = set(store.list(key.rsplit("/", 1)[0]))
        if key not in present:
            raise _not_committed(unit_id, url, "there is no manifest")
        try:
            document = orjson.loads(store.read(key))
        except orjson.JSONDecodeError:
            raise _not_committed(unit_id, url, "its manifest is not JSON") from None
        of_unit = (document.get("unit") or {}).get("id") == unit_id
        if document.get("status") != "complete" or not of_unit:
            raise _not_committed(unit_id, url, "its manifest is not a complete one of this unit")
        files = document.get("files") or []
        entries.append(
            {
                "id": unit_id,
                "manifest": key,
                "url": url,
                "rows": sum(f.get("rows", 0) for f in files),
                "files": len(files),
            }
        )
    return entries


def _not_committed(unit_id: str, url: str, problem: str) -> ProtocolError:
    return ProtocolError(
        f"unit {unit_id} cannot be listed in the run manifest: {problem} at {url}",
        hint="the run manifest is written only after every unit committed; run the missing "
        "unit again, then finish the run",
    )
