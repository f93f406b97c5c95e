"""Scenarios of the README's Dagster examples (see :mod:`tests.readme.examples`).

Both need Dagster, which is not in the workspace's venv but in a venv of its own built
from the package index (:mod:`tests.fixtures.orchestrators`):
``tests/integrations/test_dagster.py::test_the_readme_dagster_example_materializes_the_assets_with_dagsters_cli``
writes the ``dagster-definitions`` block as ``definitions.py`` beside a project's
plugins.yml and runs the ``dagster-materialize`` block there in that venv, checking that it
loads the rows into Postgres. The scenarios here make sure that test still exists and runs
these very blocks, so the examples cannot drift from what is tested.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.readme.examples import REPO, Example
from tests.readme.scenarios import scenario

INTEGRATION_TEST = REPO / "tests" / "integrations" / "test_dagster.py"
RUNNER = "def test_the_readme_dagster_example_materializes_the_assets_with_dagsters_cli("


def run_by_the_integration_test(name: str | None) -> None:
    source = INTEGRATION_TEST.read_text(encoding="utf-8")
    assert RUNNER in source
    assert f'readme_block("{name}")' in source


@scenario("dagster-definitions")
def dagster_definitions(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """A code location: valid Python that takes the module's two helpers."""
    run_by_the_integration_test(found.name)
    compile(found.text, "definitions.py", "exec")
    assert "from elt.integrations.dagster import elt_assets, elt_definitions" in found.text


@scenario("dagster-materialize")
def dagster_materialize(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    run_by_the_integration_test(found.name)
    assert found.text.startswith("dagster asset materialize -f definitions.py ")
