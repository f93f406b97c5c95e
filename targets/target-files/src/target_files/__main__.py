"""``python -m target_files``: the same as the ``target-files`` executable."""

from target_files.target import TargetFiles

TargetFiles.cli()
