"""singer-sdk's standard target tests, each on a fresh bucket of the real emulator.

The suite's config is fixed when the class is made, before any server exists, so the
``runner`` fixture is replaced by one pointing the target at the test's own bucket.
"""

from __future__ import annotations

import pytest
from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.runners import TargetTestRunner
from target_s3 import TargetS3

from tests.fixtures.services import S3Bucket

StandardTests = get_target_test_class(TargetS3, config={})


class TestTargetS3Standard(StandardTests):  # type: ignore[misc, valid-type]
    """The standard suite, each test on a fresh bucket."""

    @pytest.fixture
    def runner(self, s3_bucket: S3Bucket) -> TargetTestRunner:
        config = {
            "bucket": s3_bucket.name,
            "endpoint_url": s3_bucket.endpoint_url,
            "region": "us-east-1",
            "aws_access_key_id": "test",
            "aws_secret_access_key": "test",
            "prefix": "standard",
        }
        return TargetTestRunner(target_class=TargetS3, config=config)
