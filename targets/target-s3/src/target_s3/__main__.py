"""``python -m target_s3``: the same as the ``target-s3`` executable."""

from target_s3.target import TargetS3

TargetS3.cli()
