"""Singer target for PostgreSQL: COPY-speed loads, upserts, schema evolution, nothing lost.

See :mod:`target_postgres.loader` for how a run loads, and the README for every setting.
"""

from target_postgres.target import TargetPostgres

__all__ = ["TargetPostgres"]
