"""ACTIVATE_VERSION: a stream's rows of older versions retired, now or once that can be done.

A tap that sends a full snapshot tags its records with a version and ends it with
ACTIVATE_VERSION: the rows of the table that did not come with that version are retired,
deleted (``hard_delete``) or marked in ``_sdc_deleted_at`` (the SQL is
:func:`target_postgres.merge.activate_version`). The loader applies one

- at once, in the open transaction, after sending the stream's queued rows and giving its
  table the version columns;
- when the stream's SCHEMA arrives, if it came first (some taps send it first) and the
  stream's table exists; if none does, there is nothing to retire and it is ignored with a
  warning, as it is when no SCHEMA follows;
- in a unit that is a stream's whole sync, when the unit commits, after its rows are
  merged; in a unit of one partition it is refused (the coordinator sends it once, after
  every unit of the stream committed).

:class:`Activations` keeps the messages that wait, and retires rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import psycopg

from target_postgres.failures import database_failure
from target_postgres.identifiers import table_for_stream
from target_postgres.merge import activate_version
from target_postgres.settings import Settings
from target_postgres.stream import Stream
from target_postgres.tables import describe

__all__ = ["Activations"]

logger = logging.getLogger(__name__)


class Activations:
    """The ACTIVATE_VERSION messages waiting for their stream's SCHEMA or their unit's
    commit; ``where(stream=)`` locates errors."""

    def __init__(
        self, cur: psycopg.Cursor[Any], settings: Settings, *, where: Callable[..., str]
    ) -> None:
        self._cur = cur
        self._settings = settings
        self._where = where
        self._early: dict[str, Mapping[str, Any]] = {}  # by stream, before its SCHEMA
        self._held: dict[str, Mapping[str, Any]] = {}  # by stream, until the unit commits
        self._warned: set[tuple[str, str]] = set()

    def applicable(self, message: Mapping[str, Any], stream: Stream | None) -> Stream | None:
        """The stream to apply ``message`` to now, or None: when activate_version is off
        (warned once), or when the stream has no SCHEMA yet (kept for it, see :meth:`early`)."""
        name = message["stream"]
        if not self._settings.activate_version:
            self._warn_once(name, "activate", "ACTIVATE_VERSION ignored (activate_version off)")
            return None
        if stream is None:
            self._defer(message)
        return stream

    def retire(self, stream: Stream, version: int) -> None:
        """Retire the rows of the stream's table that did not come with ``version``."""
        hard = self._settings.hard_delete
        try:
            retired = activate_version(self._cur, stream.table, version, hard_delete=hard)
        except psycopg.Error as exc:
            raise database_failure(exc, f"activating version of {stream.table}") from None
        logger.info(
            "Stream %r: version %s activated, %d older rows %s",
            stream.name,
            version,
            retired,
            "deleted" if hard else "marked deleted",
        )

    def early(self, stream: str) -> Mapping[str, Any] | None:
        """The message that came before the stream's SCHEMA, now that it arrived (once)."""
        return self._early.pop(stream, None)

    def hold(self, message: Mapping[str, Any]) -> None:
        """Keep a unit's message until the unit commits (the last one of a stream wins)."""
        self._held[message["stream"]] = message

    def release(self) -> list[Mapping[str, Any]]:
        """The messages held for the unit's commit, which is now."""
        held, self._held = self._held, {}
        return list(held.values())

    def report_unapplied(self) -> None:
        """Warn of the messages whose SCHEMA never came, at the end of the input."""
        for name, activation in self._early.items():
            logger.warning(
                "Stream %r: ACTIVATE_VERSION %s arrived before the stream's SCHEMA and no "
                "SCHEMA followed: it was not applied, the stream's table is as it was",
                name,
                activation["version"],
            )

    def _defer(self, activation: Mapping[str, Any]) -> None:
        """Keep an ACTIVATE_VERSION that came before its stream's SCHEMA, if it can matter."""
        name = activation["stream"]
        where = self._where(stream=name)
        table = table_for_stream(name, self._settings.default_target_schema, where)
        try:
            exists = describe(self._cur, table, where=where) is not None
        except psycopg.Error as exc:
            raise database_failure(exc, f"looking up table {table}") from None
        if exists:
            self._early[name] = activation
            logger.info(
                "Stream %r: ACTIVATE_VERSION %s arrived before its SCHEMA; it is applied to "
                "%s when the SCHEMA arrives",
                name,
                activation["version"],
                table,
            )
        else:
            self._warn_once(
                name,
                "early-activate",
                f"ACTIVATE_VERSION {activation['version']} arrived before the stream's SCHEMA "
                f"and table {table} does not exist, so there are no older rows to retire: "
                "ignored",
            )

    def _warn_once(self, stream: str, kind: str, text: str) -> None:
        if (stream, kind) not in self._warned:
            self._warned.add((stream, kind))
            logger.warning("Stream %r: %s", stream, text)
