"""Singer tap for PostgreSQL, on elt's singer-sdk bases."""

from __future__ import annotations

from tap_postgres.tap import TapPostgres

__all__ = ["TapPostgres"]
