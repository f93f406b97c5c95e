"""``python -m target_gcs``: the same as the ``target-gcs`` executable."""

from target_gcs.target import TargetGcs

TargetGcs.cli()
