"""The scenarios that run README examples: a name (the ``<!-- example: NAME -->`` before a
block) mapped to a function that sets up what the README assumes and runs the block's text.

A scenario takes the example, pytest's ``request`` (to ask for the real services it needs:
``request.getfixturevalue("pg_database")``) and a fresh directory to work in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft7Validator

from elt.sdk.settings import check_settings
from tests.readme.examples import Example

Scenario = Callable[[Example, pytest.FixtureRequest, Path], None]

SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str) -> Callable[[Scenario], Scenario]:
    """Register the function below as the scenario of the example called ``name``."""

    def register(function: Scenario) -> Scenario:
        assert name not in SCENARIOS, f"two scenarios for the example {name!r}"
        SCENARIOS[name] = function
        return function

    return register


def libpq_environment(url: str) -> dict[str, str]:
    """PGHOST, PGPORT, PGUSER and PGDATABASE of a ``postgresql://`` URL without a password."""
    parts = urlsplit(url)
    return {
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": parts.username or "postgres",
        "PGDATABASE": parts.path.lstrip("/"),
    }


def executable(path: Path, script: str) -> Path:
    """Write ``script`` as an executable file (a stand-in command on PATH)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script)
    path.chmod(0o755)
    return path


def assert_config_accepted(plugin: type[Any], config: dict[str, Any]) -> None:
    """``config`` passes ``plugin``'s own checks — its settings' JSON Schema and the
    undeclared-setting rule (:mod:`elt.sdk.settings`) — without connecting anywhere: for an
    example that describes machines this one cannot reach."""
    schema = dict(plugin.config_jsonschema)
    plugin.append_builtin_config(schema)
    problems = [error.message for error in Draft7Validator(schema).iter_errors(config)]
    assert problems == [], problems
    check_settings(
        plugin.name,
        config,
        declared=schema.get("properties", {}),
        rules=plugin.setting_rules,
        logger=logging.getLogger("readme-example"),
    )
