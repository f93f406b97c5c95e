"""target-gcs: Singer streams into Google Cloud Storage as lake files."""

from __future__ import annotations

from target_gcs.settings import SETTINGS, connect
from target_gcs.store import GcsStore, GcsUpload
from target_gcs.target import TargetGcs

__all__ = ["SETTINGS", "GcsStore", "GcsUpload", "TargetGcs", "connect"]
