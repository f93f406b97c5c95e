"""Partitions and units: how one run is split into pieces that run in parallel.

A documented elt extension of the Singer protocol, which a third-party tap or target can
implement; the orchestrator (``elt run --executor ADDRESS``) uses it, a shell pipe never
needs it.

**Units.** A run is split into units of work: one per selected stream, and for a stream the
tap can partition, one per partition. A unit runs as a local run does (tap → mappers →
target, piped), with a catalog that selects only its stream. A tap that cannot restrict
itself to one stream through its catalog runs as one unit for the whole run.

**The tap's side (capability** ``elt-partitions`` **in** ``--about``).

- *Plan*: ``TAP --config C [--catalog K] [--state S] --partitions`` writes one JSON object
  to stdout and exits 0 (:data:`PLAN_FLAG`)::

      {"streams": {"<tap_stream_id>": {"partitions": [<partition>, ...],
                                       "bound": <value or null>}}}

  A *partition* is a JSON object the tap alone understands (a key range, a file, a date
  window), with an ``"id"``: a short string, stable for the same partition and unique within
  its stream; ``"rows"`` (an estimate) is optional. A stream the plan does not list runs as
  one unit. How a stream is cut is the tap's own setting (tap-postgres:
  ``stream_options.<stream>.partitions`` or ``partition_rows``; tap-csv: one per file;
  tap-http: ``partition_window`` on an incremental stream, opt-in).
  ``"bound"`` is the upper end of the sync, fixed when planning (an incremental stream's
  largest replication key value now): every partition reads only rows up to it, so rows
  written while the units run wait for the next run instead of slipping between
  partitions. ``null`` for a stream without a replication key.
- *Read one*: ``TAP --config C --catalog K [--state S] --partition FILE`` (:data:`PARTITION_FLAG`),
  FILE holding :class:`PartitionRequest` as JSON (``{"stream": …, "partition": {…},
  "bound": …, "version": …}``). The tap syncs only that stream and only the partition's
  rows, up to ``bound``, from the bookmark in ``--state``. It sends no ACTIVATE_VERSION (the
  coordinator does, once, after every unit of a full-table stream committed; ``version``,
  when not null, is the table version the RECORDs carry). Its last STATE is the state the
  stream will have once every partition is read: the bookmark at ``bound``. A stream
  planned with a null ``bound`` whose bookmark records what was read (tap-csv: each file's
  entry, the highest key seen) ends each partition with its own bookmark in the tap's
  usual format; the coordinator merges the units' bookmarks of the stream key by key
  (:func:`elt.protocol.state.deep_merge`), keeping the greatest ``replication_key_value``,
  so such a bookmark must stay correct when merged in any order.

**The target's side** (capability :data:`UNITS`, ``elt-units``, in ``--about``). Each
unit's target runs with the environment variable
:data:`UNIT_ENV` holding :class:`UnitIdentity` as JSON. ``id`` is the same for every
attempt of the unit (a worker that dies has the unit run again elsewhere), so a target
can make the unit's load happen exactly once. A target that does not read
:data:`UNIT_ENV` (every third-party one) loads each attempt: at-least-once. Ours
(:func:`elt.sdk.unit.unit_from_env`): unset or empty means an ordinary run; a value that
is not such an object (``id`` 1-100 of ``[A-Za-z0-9_-]``, not starting with ``_``/``-``;
``attempt`` ≥ 1; ``extra`` an object) exits 78 naming the variable.

- *target-postgres* commits the unit in one transaction at the end of its input, with the
  unit's row in the ledger ``"<default_target_schema or public>"._elt_units`` (``unit_id``
  primary key, ``stream``, ``partition``, ``attempt``, ``rows``, ``committed_at``), and
  writes the unit's last STATE only after that commit. An attempt finding the row
  committed loads nothing, logs that an earlier attempt committed the unit, writes its
  last STATE and exits 0. Units may load one table at once (DDL under advisory locks,
  merges serialised by a table lock: ``target_postgres.units``). Inside a unit of one
  partition an ACTIVATE_VERSION is refused (exit 65); in a unit that is a stream's whole
  sync it is applied when the unit commits. ``load_method: overwrite`` is refused in a
  unit (exit 78). The finishing run (below) is an ordinary load for it.
- *Lake targets* (``elt.sdk.lake.units``) write the unit's files under the unit id in
  place of the run id (the same keys for every attempt, so an attempt overwrites the
  earlier one's), then the unit's manifest ``_manifests/units/<id>.json`` (its commit
  marker, ``"unit"`` holding the identity), then the unit's last STATE. The coordinator's
  finishing run sets ``extra`` to ``{"finish": [<unit id>, …]}`` (``id`` is the run's own)
  and may send the streams' SCHEMA (and ACTIVATE_VERSION) messages: the target writes the run
  manifest ``_manifests/<id>.json`` with ``"units"`` listing each unit's manifest, rows and
  files, or exits 65 when a listed unit has no complete manifest.

**The finishing run.** Once every unit of the run has committed, the coordinator runs the
target once more, on its own machine, with the SCHEMA of each stream of the run and, for
each partitioned stream without a replication key (a full-table snapshot whose partitions'
RECORDs carry the plan's ``version``), its ACTIVATE_VERSION, so older rows are retired once,
for all partitions together. A target listing :data:`UNITS` gets ``extra.finish``: the ids
of the units of the streams completed by this run.

**State.** The coordinator keeps a partitioned stream's progress in the run's state under
:data:`PROGRESS_KEY` (``{"<stream>": {"plan": …, "bound": …, "done": {"<id>": state}}}``)
until every unit of the stream has committed; only then are the units' states merged into
the stream's bookmark and the progress removed. A run after a failure finds the plan there
and runs only the partitions not done, with the same plan (the same ids, so a ledger knows
them). Other keys of the state are the taps' own, as in a local run.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Final

__all__ = [
    "FINISH",
    "PARTITIONS",
    "PARTITION_FLAG",
    "PLAN_FLAG",
    "PROGRESS_KEY",
    "UNITS",
    "UNIT_ENV",
    "PartitionRequest",
    "UnitIdentity",
    "unit_id",
]

PARTITIONS: Final = "elt-partitions"
"""The capability a tap lists in ``--about`` when it answers :data:`PLAN_FLAG`."""
UNITS: Final = "elt-units"
"""The capability a target lists in ``--about`` when it reads :data:`UNIT_ENV`."""
FINISH: Final = "finish"
"""The key of ``UnitIdentity.extra`` that makes a target's run the finishing run."""
PLAN_FLAG: Final = "--partitions"
PARTITION_FLAG: Final = "--partition"
UNIT_ENV: Final = "ELT_UNIT"
PROGRESS_KEY: Final = "elt_partitions"


@dataclass(frozen=True)
class PartitionRequest:
    """What ``--partition FILE`` holds: the one partition a tap reads."""

    stream: str
    partition: dict[str, Any]
    bound: Any = None
    version: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class UnitIdentity:
    """What :data:`UNIT_ENV` tells a target about the unit it loads."""

    id: str
    stream: str | None = None
    partition: str | None = None
    attempt: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def unit_id(state_id: str, plan: str, stream: str | None, partition: str | None) -> str:
    """A unit's id: the same for every attempt of the same partition of the same plan.

    ``u`` and 24 hex digits of a hash, so it fits a file name and a table name whatever the
    stream is called.
    """
    key = "\x00".join((state_id, plan, stream or "", partition or ""))
    return "u" + hashlib.sha256(key.encode()).hexdigest()[:24]
