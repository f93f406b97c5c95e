"""target-files: Singer streams into JSONL, CSV or Parquet files in a local folder."""

from __future__ import annotations

from target_files.store import LocalStore, LocalUpload
from target_files.target import TargetFiles

__all__ = ["LocalStore", "LocalUpload", "TargetFiles"]
