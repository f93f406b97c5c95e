"""``target-files``: the lake writer on a local folder, the default that needs no cloud account.

Everything but the store — formats, compression, rotation, layout, manifests, the commit
protocol — is :class:`elt.sdk.lake.LakeTarget`; see the README for every setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from elt.sdk.lake import LakeTarget, ObjectStore
from target_files.store import LocalStore

__all__ = ["TargetFiles"]


class TargetFiles(LakeTarget):
    """Writes Singer streams as JSONL, CSV or Parquet files into a local folder."""

    name = "target-files"
    package_name = "elt-target-files"  # for --version and --about
    store_settings: ClassVar[dict[str, Any]] = {
        "path": {
            "type": "string",
            "required": True,
            "description": (
                "Folder the files go to (created if missing). Keys (prefix/path_template) are "
                "paths below it; files appear only complete (temp file, fsync, rename)."
            ),
        },
    }

    def open_store(self) -> ObjectStore:
        return LocalStore(Path(self.config["path"]))
