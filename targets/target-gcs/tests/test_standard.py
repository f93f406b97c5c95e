"""singer-sdk's standard target tests, each on a fresh bucket of the real emulator.

The suite's config is fixed when the class is made, before any server exists, so the
``runner`` fixture is replaced by one pointing the target at the test's own bucket.
"""

from __future__ import annotations

import pytest
from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.runners import TargetTestRunner
from target_gcs import TargetGcs

from tests.fixtures.services import GcsBucket

StandardTests = get_target_test_class(TargetGcs, config={})


class TestTargetGcsStandard(StandardTests):  # type: ignore[misc, valid-type]
    """The standard suite, each test on a fresh bucket."""

    @pytest.fixture
    def runner(self, gcs_bucket: GcsBucket) -> TargetTestRunner:
        config = {
            "bucket": gcs_bucket.name,
            "endpoint": gcs_bucket.endpoint_url,
            "anonymous": True,
            "prefix": "standard",
        }
        return TargetTestRunner(target_class=TargetGcs, config=config)
