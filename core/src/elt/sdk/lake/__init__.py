"""The shared lake writer: Singer streams into JSONL, CSV or Parquet files in an object store.

target-files, target-s3, target-gcs and target-azure are :class:`LakeTarget` subclasses that
add only their settings and an :class:`ObjectStore`; format, compression, rotation, layout,
manifests and the commit protocol (a STATE only after its files are committed) live here.
The file formats are one registry (:data:`FORMATS`, :mod:`elt.sdk.lake.formats`); a table
(Iceberg, Delta) would be committed beside the manifest (:mod:`elt.sdk.lake.tables`).

Needs the ``lake`` extra (``pip install 'elt-core[sdk,lake]'``): pyarrow, imported lazily by
the Parquet/CSV and zstd code only.
"""

from __future__ import annotations

from elt.sdk.lake.formats import FORMATS, FormatSpec
from elt.sdk.lake.layout import Layout, new_run_id, safe_segment
from elt.sdk.lake.manifest import FileEntry, Manifest
from elt.sdk.lake.settings import LAKE_SETTINGS, LakeSettings, config_schema
from elt.sdk.lake.store import ObjectStore, Upload
from elt.sdk.lake.tables import TableCommit
from elt.sdk.lake.target import LakeTarget
from elt.sdk.lake.writer import LakeWriter

__all__ = [
    "FORMATS",
    "LAKE_SETTINGS",
    "FileEntry",
    "FormatSpec",
    "LakeSettings",
    "LakeTarget",
    "LakeWriter",
    "Layout",
    "Manifest",
    "ObjectStore",
    "TableCommit",
    "Upload",
    "config_schema",
    "new_run_id",
    "safe_segment",
]
