"""Scenario of the README's Prefect example. It needs Prefect, which lives in a venv of its
own (tests/fixtures/orchestrators.py), so tests/integrations/test_prefect.py runs the block
as written against a Prefect server (``test_the_readme_example_runs_a_task_then_serves_the_job_on_its_schedule``);
here, without Prefect, the block must compile and import only what the module exports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.readme.examples import REPO, Example
from tests.readme.scenarios import scenario

MODULE = REPO / "core" / "src" / "elt" / "integrations" / "prefect.py"
RUNNER = REPO / "tests" / "integrations" / "test_prefect.py"


@scenario("prefect-flow")
def prefect_flow(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    tree = ast.parse(found.text, filename=found.where)
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "elt.integrations.prefect"
        for alias in node.names
    }
    assert imported, "the example imports nothing from elt.integrations.prefect"
    assert imported <= _exported(MODULE), imported - _exported(MODULE)
    assert 'e.name == "prefect-flow"' in RUNNER.read_text(), f"{RUNNER} no longer runs it"


def _exported(module: Path) -> set[str]:
    """The names of ``module``'s ``__all__``, read from its source (Prefect is not here)."""
    for node in ast.parse(module.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    return set()
