from __future__ import annotations

from collections.abc import Callable

from click.testing import Result

from elt.project import render_schema

Elt = Callable[..., Result]


def test_schema_prints_the_plugins_yml_json_schema(elt: Elt) -> None:
    result = elt("schema")
    assert (result.exit_code, result.stdout) == (0, render_schema())
