"""singer-sdk's own conformance suites, run on plugins built on elt.sdk's fast path."""

from __future__ import annotations

import atexit
import shutil
import tempfile

from singer_sdk.testing import get_tap_test_class, get_target_test_class

from core.tests.sdk.toy import TapToy, TargetToy

_OUTPUT_DIR = tempfile.mkdtemp(prefix="elt-target-toy-")
atexit.register(shutil.rmtree, _OUTPUT_DIR, ignore_errors=True)

TestTapToyStandard = get_tap_test_class(TapToy, config={"count": 25})

TestTargetToyStandard = get_target_test_class(TargetToy, config={"output_dir": _OUTPUT_DIR})
