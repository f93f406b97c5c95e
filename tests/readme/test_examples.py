"""Every README example works as written: each fenced bash/sh/json/yaml/python block is run, or
loaded and used, by its scenario (see :mod:`tests.readme.examples`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.readme import (  # noqa: F401  (register their scenarios)
    airflow_examples,
    dagster_examples,
    install_examples,
    lake_examples,
    partition_examples,
    plugin_examples,
    prefect_examples,
    python_examples,
    root_examples,
    scaleout_examples,
    tap_http_examples,
    target_postgres_examples,
    ui_examples,
)
from tests.readme.examples import Example, all_examples
from tests.readme.scenarios import SCENARIOS

EXAMPLES = all_examples()


@pytest.mark.parametrize("found", EXAMPLES, ids=[e.name or e.where for e in EXAMPLES])
def test_the_example_works_as_written(
    found: Example, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    assert found.name is not None, (
        f"{found.where}: a {found.language} block with no <!-- example: NAME --> line before "
        "it; name it and give it a scenario in tests/readme/"
    )
    assert found.name in SCENARIOS, f"{found.where}: no scenario runs the example {found.name!r}"
    SCENARIOS[found.name](found, request, tmp_path)


def test_each_example_has_its_own_name() -> None:
    names = [e.name for e in EXAMPLES if e.name]
    assert len(names) == len(set(names))


def test_every_scenario_has_an_example() -> None:
    assert set(SCENARIOS) <= {e.name for e in EXAMPLES}


def test_every_image_a_readme_shows_is_in_the_repository() -> None:
    import re

    from tests.readme.examples import readmes

    missing = [
        f"{path}: {target}"
        for path in readmes()
        for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", path.read_text(encoding="utf-8"))
        if not target.startswith(("http://", "https://")) and not (path.parent / target).is_file()
    ]
    assert missing == []
