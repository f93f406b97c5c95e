"""target-s3: Singer streams into S3 (or an S3-compatible store) as lake files."""

from __future__ import annotations

from target_s3.settings import SETTINGS, connect
from target_s3.store import S3Store, S3Upload
from target_s3.target import TargetS3

__all__ = ["SETTINGS", "S3Store", "S3Upload", "TargetS3", "connect"]
