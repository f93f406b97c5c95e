"""``validate_records``: each record checked against its stream's SCHEMA before it is loaded.

Off by default: Postgres already checks every value against its column while it parses the
COPY, and a record's properties its SCHEMA does not declare are not loaded. What validation
adds is the rest of JSON Schema — ``enum``, ``minimum``, ``maxLength``, ``required``,
``pattern``, the shape of nested objects — for a user who wants a record that breaks its
SCHEMA refused rather than loaded.

singer-sdk validates with the ``jsonschema`` package, tens of microseconds a record. Here
the SCHEMA is compiled once per stream by ``jsonschema-rs`` (Rust) and a record costs a few
microseconds; error messages are built only for the record that fails. ``format`` is an
annotation, as in singer-sdk (Postgres checks dates and times as it parses them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from elt.errors import ProtocolError

__all__ = ["RecordValidator"]

Where = Callable[[str | None], str]


class RecordValidator:
    """A stream's SCHEMA compiled into a validator of its records."""

    __slots__ = ("_validator",)

    def __init__(self, schema: Mapping[str, Any], where: str) -> None:
        import jsonschema_rs  # only with validate_records

        try:
            self._validator = jsonschema_rs.validator_for(dict(schema))
        except (jsonschema_rs.ValidationError, ValueError) as exc:
            raise ProtocolError(
                f"validate_records cannot compile the SCHEMA: {exc}",
                where=where,
                hint="the SCHEMA must be a valid JSON Schema; fix the tap, or turn "
                "validate_records off",
            ) from None

    def check(self, record: Mapping[str, Any], where: Where) -> None:
        """Raise a :class:`ProtocolError` naming the first property ``record`` breaks."""
        if self._validator.is_valid(record):
            return
        error = next(iter(self._validator.iter_errors(record)))
        path = list(error.instance_path)
        prop = str(path[0]) if path else None
        inner = "".join(f"[{p!r}]" for p in path[1:])
        raise ProtocolError(
            f"the record does not match its SCHEMA{' at ' + inner if inner else ''}: "
            f"{error.message}",
            where=where(prop),
            hint="fix the tap or its SCHEMA, or turn validate_records off to load what "
            "Postgres accepts",
        )
