"""``python -m target_azure``: the same as the ``target-azure`` executable."""

from target_azure.target import TargetAzure

TargetAzure.cli()
