"""singer-sdk's standard target tests, on the lean lake path, in each format."""

from __future__ import annotations

import atexit
import shutil
import tempfile

from singer_sdk.testing import get_target_test_class
from target_files import TargetFiles

_FOLDER = tempfile.mkdtemp(prefix="elt-target-files-")
atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)

TestTargetFilesJsonl = get_target_test_class(TargetFiles, config={"path": f"{_FOLDER}/jsonl"})
TestTargetFilesCsv = get_target_test_class(
    TargetFiles, config={"path": f"{_FOLDER}/csv", "format": "csv"}
)
TestTargetFilesParquet = get_target_test_class(
    TargetFiles, config={"path": f"{_FOLDER}/parquet", "format": "parquet"}
)
