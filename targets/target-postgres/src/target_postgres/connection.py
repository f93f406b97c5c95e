"""target-postgres' session: :mod:`elt.sdk.postgres` with the settings a load wants.

Every session is set to UTC, so a ``date-time`` without an offset means UTC as in Singer,
and gets a larger ``temp_buffers`` (staging tables then stay in memory for a whole batch).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import psycopg

from elt.sdk import postgres

__all__ = ["APPLICATION_NAME", "connect"]

APPLICATION_NAME: Final = "target-postgres"
SESSION_SETUP: Final = (
    "SET TIME ZONE 'UTC'",
    "SET temp_buffers = '128MB'",
    "SET work_mem = '64MB'",
)


def connect(config: Mapping[str, Any]) -> psycopg.Connection[Any]:
    """Open a session ready for loading, or raise a :class:`ServiceError` saying why not."""
    return postgres.connect(config, application=APPLICATION_NAME, session=SESSION_SETUP)
