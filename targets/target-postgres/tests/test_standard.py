"""singer-sdk's standard target tests, run on the lean load path against a real database.

The suite's config is fixed when the class is made, before any database exists, so the
``runner`` fixture is replaced by one that points the target at the test's own database.
It runs on the default settings: the suite's ``encoded_string_data`` stream holds NUL
characters, which Postgres cannot store and the default removes, counting them in the log
(see test_target_test_streams.py).
"""

from __future__ import annotations

import pytest
from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.runners import TargetTestRunner
from target_postgres import TargetPostgres

StandardTests = get_target_test_class(TargetPostgres, config={})


class TestTargetPostgresStandard(StandardTests):  # type: ignore[misc, valid-type]
    """The standard suite, each test on a fresh database."""

    @pytest.fixture
    def runner(self, pg_database: str) -> TargetTestRunner:
        return TargetTestRunner(
            target_class=TargetPostgres,
            config={"sqlalchemy_url": pg_database},
        )
