"""Run history: every ``elt run`` recorded in a system database, and its log followed.

Each run is a row (:class:`RunRecord`): what ran (tap, mappers, target, state id,
environment, ``--config`` overrides with secrets redacted), why (:class:`Trigger`, attempt,
the first attempt of a retried run), when, how it ended (:class:`RunStatus`), what it moved
(rows per stream, bytes, from the plugins' METRIC lines) and where its log is.
:func:`open_history` opens the project's ``system_database``: a SQLite file
(``.elt/system.db``, the default) or Postgres. The runner writes the rows
(:mod:`elt.run.record`); ``elt runs`` and ``elt logs`` read them.
"""

from __future__ import annotations

from pathlib import Path

from elt.errors import ProjectError
from elt.history.follow import follow_log
from elt.history.record import (
    PipelineStats,
    RunOrigin,
    RunPoint,
    RunRecord,
    RunStatus,
    Trigger,
    headline,
    now,
    pid_alive,
)
from elt.history.sqlite import SqliteHistory
from elt.history.store import SCHEMA_VERSION, HistoryStore, median_duration

__all__ = [
    "SCHEMA_VERSION",
    "SYSTEM_DB",
    "HistoryStore",
    "PipelineStats",
    "RunOrigin",
    "RunPoint",
    "RunRecord",
    "RunStatus",
    "SqliteHistory",
    "Trigger",
    "follow_log",
    "headline",
    "median_duration",
    "now",
    "open_history",
    "pid_alive",
]

SYSTEM_DB = Path(".elt") / "system.db"
_SQLITE = "sqlite:///"


def open_history(root: Path, url: str | None) -> HistoryStore:
    """The history store ``system_database`` names (None: ``.elt/system.db`` under ``root``).

    ``sqlite:///PATH`` is relative to the project (``sqlite:////PATH`` absolute, as in
    SQLAlchemy); ``postgresql://`` (or ``postgres://``) is a Postgres database.
    """
    if url is None:
        return SqliteHistory(root / SYSTEM_DB)
    if url.startswith(_SQLITE) and len(url) > len(_SQLITE):
        return SqliteHistory(root / url[len(_SQLITE) :])
    if url.startswith(("postgresql://", "postgres://")):
        from elt.history.postgres import PostgresHistory

        return PostgresHistory(url)
    raise ProjectError(
        f"system_database {url.partition(':')[0]}: is not supported",
        where="plugins.yml: system_database",
        hint="Use sqlite:///PATH (relative to the project), sqlite:////ABSOLUTE/PATH or "
        "postgresql://USER@HOST/DATABASE, or leave it unset for .elt/system.db",
    )
