"""``target-azure``: the lake writer on Azure Blob Storage.

Everything but the store — formats, compression, rotation, layout, manifests, the commit
protocol — is :class:`elt.sdk.lake.LakeTarget`; this adds the settings and the store. See
the README for every setting.
"""

from __future__ import annotations

from typing import Any, ClassVar

from elt.sdk.lake import LakeTarget, ObjectStore
from target_azure.settings import SETTINGS, connect

__all__ = ["TargetAzure"]


class TargetAzure(LakeTarget):
    """Writes Singer streams as JSONL, CSV or Parquet files to Azure Blob Storage."""

    name = "target-azure"
    package_name = "elt-target-azure"  # for --version and --about
    store_settings: ClassVar[dict[str, Any]] = SETTINGS

    def open_store(self) -> ObjectStore:
        return connect(self.config)
