"""Scenarios of the README's Dagster examples (see :mod:`tests.readme.examples`).

Both need Dagster, which is not in the workspace's venv but in a venv of its own built
from the package index (:mod:`tests.fixtures.orchestrators`):
``tests/integrations/test_dagster.py::test_the_readme_dagster_example_materializes_the_assets_with_dagsters_cli``
writes the ``dagster-definitions`` block as ``definitions.py`` beside a project's
plugins.yml and runs this ``dagster-materialize`` block there in that venv, checking that it
loads the rows into Postgres. The scenario here makes sure that test still exists and runs
this very block, so the example cannot drift from what is tested.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.readme.examples import REPO, Example
from tests.readme.scenarios import scenario

INTEGRATION_TEST = REPO / "tests" / "integrations" / "test_dagster.py"


@scenario("dagster-materialize")
def dagster_materialize(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    source = INTEGRATION_TEST.read_text(encoding="utf-8")
    assert (
        "def test_the_readme_dagster_example_materializes_the_assets_with_dagsters_cli(" in source
    )
    assert 'readme_block("dagster-materialize")' in source
    assert 'readme_block("dagster-definitions")' in source
    assert found.text.startswith("dagster asset materialize -f definitions.py ")
