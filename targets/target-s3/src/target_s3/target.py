"""``target-s3``: the lake writer on Amazon S3 or an S3-compatible store.

Everything but the store — formats, compression, rotation, layout, manifests, the commit
protocol — is :class:`elt.sdk.lake.LakeTarget`; this adds the settings and the store. See
the README for every setting.
"""

from __future__ import annotations

from typing import Any, ClassVar

from elt.sdk.lake import LakeTarget, ObjectStore
from target_s3.settings import SETTINGS, connect

__all__ = ["TargetS3"]


class TargetS3(LakeTarget):
    """Writes Singer streams as JSONL, CSV or Parquet files to S3 or an S3-compatible store."""

    name = "target-s3"
    package_name = "elt-target-s3"  # for --version and --about
    store_settings: ClassVar[dict[str, Any]] = SETTINGS

    def open_store(self) -> ObjectStore:
        return connect(self.config)
