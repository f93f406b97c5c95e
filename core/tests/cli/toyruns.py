"""What the CLI tests of runs share: the toy project's CLI, its history and alerts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from click.testing import Result

from core.tests.plugins import ToyProject

Elt = Callable[..., Result]


def elt_in(elt: Elt, toy: ToyProject, *args: str, env: dict[str, str] | None = None) -> Result:
    """``elt --project <toy> ARGS…``."""
    return elt("--project", str(toy.root), *args, env=env)


def history(elt: Elt, toy: ToyProject, *args: str) -> list[dict[str, Any]]:
    """``elt runs list --format json ARGS…``, newest first."""
    result = elt_in(elt, toy, "runs", "list", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    runs: list[dict[str, Any]] = json.loads(result.stdout)
    return runs


def add_to_project(toy: ToyProject, **keys: Any) -> None:
    """Set top-level keys of the toy's plugins.yml (JSON is YAML)."""
    document = json.loads((toy.root / "plugins.yml").read_text())
    document.update(keys)
    (toy.root / "plugins.yml").write_text(json.dumps(document))
