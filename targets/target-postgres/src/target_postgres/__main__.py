"""``python -m target_postgres``: the same as the ``target-postgres`` executable."""

from target_postgres.target import TargetPostgres

TargetPostgres.cli()
