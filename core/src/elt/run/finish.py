"""The finishing run of a split run: the target once more, after every unit committed.

Two things can only happen once all the units of a run are in (see
:mod:`elt.protocol.partitions`): a full-table stream cut into partitions has its older rows
retired — one ACTIVATE_VERSION for the version every partition's RECORDs carried — and a
lake target writes the run manifest listing the units' manifests. Both are an ordinary
Singer input for the target (the streams' SCHEMA, then their ACTIVATE_VERSION), run on the
coordinator's machine with the configs it resolved; a target listing ``elt-units`` is also
told, through ``ELT_UNIT``'s ``extra.finish``, which units the run covered.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from elt.errors import PluginError
from elt.protocol import UNIT_ENV, CatalogEntry, UnitIdentity, dumps
from elt.protocol.partitions import FINISH, UNITS
from elt.run.invoker import Invocation, write_private
from elt.run.process import Supervisor, describe_exit

__all__ = ["finishing_input", "run_finish"]


def finishing_input(activations: Sequence[tuple[CatalogEntry, int]]) -> bytes:
    """The SCHEMA and ACTIVATE_VERSION of each ``(stream, version)``, as Singer lines."""
    lines = []
    for entry, version in activations:
        name = entry.stream or entry.tap_stream_id
        schema = {
            "type": "SCHEMA",
            "stream": name,
            "schema": entry.schema,
            "key_properties": entry.key_properties,
        }
        lines += [
            dumps(schema),
            dumps({"type": "ACTIVATE_VERSION", "stream": name, "version": version}),
        ]
    return b"".join(line + b"\n" for line in lines)


def run_finish(
    supervisor: Supervisor,
    target: Invocation,
    workdir: Path,
    *,
    run_unit: str,
    units: Sequence[str],
    activations: Sequence[tuple[CatalogEntry, int]],
) -> bool:
    """Run ``target``'s finishing run when it has something to do (an activation, or a
    target listing ``elt-units``); whether it ran. Raises PluginError when it fails."""
    told = UNITS in target.capabilities
    if not activations and not told:
        return False
    if told:
        identity = UnitIdentity(id=run_unit, extra={FINISH: list(units)})
        env = {**target.env, UNIT_ENV: json.dumps(identity.as_dict())}
        target = dataclasses.replace(target, env=env)
    source = workdir / f"{target.name}.finish.jsonl"
    write_private(source, finishing_input(activations))
    supervisor.log.write(
        "elt",
        f"finishing run of {target.name}: {len(activations)} ACTIVATE_VERSION, {len(units)} units",
    )
    descriptor = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    try:
        process = supervisor.start(target, target.argv(), stdin=descriptor, stdout=subprocess.PIPE)
    finally:
        os.close(descriptor)
    assert process.stdout is not None
    for _ in process.stdout:  # a target may echo a state: nothing to store
        pass
    code = process.finish()
    if code != 0:
        errors = "; ".join(e.rstrip(".") for e in process.errors()) or "see the run log"
        raise PluginError(
            f"target {target.name}'s finishing run {describe_exit(code)}: {errors}. Every "
            "unit is committed and the state stored; rerun to finish",
            returncode=code,
        )
    process.release_errors()
    return True
