from __future__ import annotations

import pytest

from elt.project.interpolate import (
    MissingVariableError,
    interpolate,
    interpolate_tree,
    lookup_in,
)
from elt.project.problems import Problem

LOOKUP = lookup_in({"HOST": "db.local", "EMPTY": ""}, {"HOST": "from-dotenv", "PORT": "5432"})


def test_a_reference_is_replaced_by_the_variable() -> None:
    assert interpolate("postgres://${HOST}:${PORT}/x", LOOKUP) == "postgres://db.local:5432/x"


def test_the_first_source_that_has_the_variable_wins() -> None:
    assert interpolate("${HOST}", LOOKUP) == "db.local"


def test_a_default_is_used_when_the_variable_is_unset() -> None:
    assert interpolate("${NOPE:-fallback value}", LOOKUP) == "fallback value"


def test_a_default_is_used_when_the_variable_is_empty() -> None:
    assert interpolate("${EMPTY:-x}", LOOKUP) == "x"


def test_a_default_may_be_empty() -> None:
    assert interpolate("a${NOPE:-}b", LOOKUP) == "ab"


def test_a_set_variable_beats_its_default() -> None:
    assert interpolate("${HOST:-other}", LOOKUP) == "db.local"


def test_a_double_dollar_is_a_literal_dollar() -> None:
    assert interpolate("cost: $$5 and $${HOST}", LOOKUP) == "cost: $5 and ${HOST}"


def test_a_lone_dollar_is_kept() -> None:
    assert interpolate("^ab$ and $HOST", LOOKUP) == "^ab$ and $HOST"


def test_an_unset_variable_without_default_is_an_error_naming_it() -> None:
    with pytest.raises(MissingVariableError) as raised:
        interpolate("x ${DB_PASSWORD} y", LOOKUP)
    assert raised.value.name == "DB_PASSWORD"


@pytest.mark.parametrize("text", ["${}", "${1X}", "${HOST", "${A B}"])
def test_a_malformed_reference_is_an_error(text: str) -> None:
    with pytest.raises(ValueError, match="invalid reference"):
        interpolate(text, LOOKUP)


def test_tree_interpolation_reports_every_missing_variable_with_its_path() -> None:
    tree = {"config": {"a": "${ONE}", "list": ["ok", "${TWO}"], "n": 5}, "${KEY}": "kept"}
    result, problems = interpolate_tree(tree, LOOKUP)
    assert result == tree
    hint = "Set it in the environment or in .env, or give a default: ${ONE:-value}"
    assert problems[0] == Problem(("config", "a"), "environment variable ONE is not set", hint)
    assert [p.loc for p in problems] == [("config", "a"), ("config", "list", 1)]


def test_tree_interpolation_leaves_keys_and_non_strings_alone() -> None:
    result, problems = interpolate_tree({"${HOST}": ["${HOST}", 1, None, True]}, LOOKUP)
    assert result == {"${HOST}": ["db.local", 1, None, True]}
    assert problems == []
