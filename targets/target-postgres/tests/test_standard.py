"""singer-sdk's standard target tests, run on the lean load path against a real database.

The suite's config is fixed when the class is made, before any database exists, so the
``runner`` fixture is replaced by one that points the target at the test's own database.
``sanitize_null_text_characters`` is on because the suite's ``encoded_string_data`` stream
holds NUL characters, which Postgres cannot store; with the default (off) the same stream is
a clear error instead (see test_target_test_streams.py).
"""

from __future__ import annotations

import pytest
from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.runners import TargetTestRunner
from target_postgres import TargetPostgres

SETTINGS = {"sanitize_null_text_characters": True}

StandardTests = get_target_test_class(TargetPostgres, config=SETTINGS)


class TestTargetPostgresStandard(StandardTests):  # type: ignore[misc, valid-type]
    """The standard suite, each test on a fresh database."""

    @pytest.fixture
    def runner(self, pg_database: str) -> TargetTestRunner:
        return TargetTestRunner(
            target_class=TargetPostgres,
            config={"sqlalchemy_url": pg_database, **SETTINGS},
        )
