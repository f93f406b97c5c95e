"""The unit a target loads, from :data:`elt.protocol.UNIT_ENV` (``ELT_UNIT``).

The orchestrator sets ``ELT_UNIT`` to a :class:`~elt.protocol.UnitIdentity` as JSON when it
runs a target for one unit of a split run (see :mod:`elt.protocol.partitions`). Unset (a
shell pipe, a local ``elt run``) means "not a unit": the target behaves as it always did.

A value that is set but malformed is a configuration error (exit 78) rather than a reason
to fall back to an ordinary load: the orchestrator asked for exactly-once, and loading the
unit at-least-once instead would duplicate rows silently on a retry. The id goes into file
names and ledger keys, so it is held to a short, safe alphabet.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, Final

import orjson
from singer_sdk.helpers.capabilities import CapabilitiesEnum

from elt.errors import ConfigError
from elt.protocol import UNIT_ENV, UnitIdentity
from elt.protocol.partitions import UNITS as PROTOCOL_UNITS

__all__ = ["UNITS", "UnitCapabilities", "parse_unit", "unit_from_env"]


class UnitCapabilities(CapabilitiesEnum):
    """The capability of a target that reads ``ELT_UNIT`` (:mod:`elt.protocol.partitions`)."""

    #: loads each unit of a split run exactly once; writes a finishing run's run manifest
    UNITS = PROTOCOL_UNITS


UNITS: Final = UnitCapabilities.UNITS

# letters, digits, "_" and "-", not starting with "-" or "_" (a file name, a ledger key)
_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
_HINT: Final = (
    f"{UNIT_ENV} is set by elt for one unit of a split run: a JSON object "
    '{"id": "u3f…", "stream": …, "partition": …, "attempt": 1, "extra": {}}; '
    "unset it to load as an ordinary run"
)


def unit_from_env(environ: Mapping[str, str] | None = None) -> UnitIdentity | None:
    """The unit named by ``ELT_UNIT``, or None when it is unset or empty."""
    value = (os.environ if environ is None else environ).get(UNIT_ENV, "")
    return parse_unit(value) if value.strip() else None


def parse_unit(value: str) -> UnitIdentity:
    """A :class:`UnitIdentity` from its JSON; :class:`ConfigError` naming ``ELT_UNIT``."""
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise _malformed(f"is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise _malformed(f"is a JSON {type(data).__name__}, not an object")
    unknown = sorted(set(data) - {"id", "stream", "partition", "attempt", "extra"})
    if unknown:
        raise _malformed(f"has unknown keys {unknown}")
    unit_id = data.get("id")
    if not isinstance(unit_id, str) or not _ID.fullmatch(unit_id):
        raise _malformed(
            f"has id {unit_id!r}: expected 1 to 100 letters, digits, '_' or '-' (not first)"
        )
    for key in ("stream", "partition"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise _malformed(f"has a {key} that is not a string or null")
    attempt = data.get("attempt", 1)
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise _malformed(f"has attempt {attempt!r}: expected an integer of 1 or more")
    extra: Any = data.get("extra")
    extra = {} if extra is None else extra
    if not isinstance(extra, dict):
        raise _malformed("has an extra that is not an object")
    return UnitIdentity(unit_id, data.get("stream"), data.get("partition"), attempt, extra)


def _malformed(problem: str) -> ConfigError:
    return ConfigError(f"the environment variable {UNIT_ENV} {problem}", hint=_HINT)
