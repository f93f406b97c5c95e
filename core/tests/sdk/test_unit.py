"""elt.sdk.unit: ELT_UNIT read, checked, or absent."""

from __future__ import annotations

import json

import pytest

from elt.errors import ConfigError
from elt.protocol import UnitIdentity, unit_id
from elt.sdk.unit import parse_unit, unit_from_env


def test_a_unit_identity_round_trips_through_its_json() -> None:
    identity = UnitIdentity(
        unit_id("dev:a-to-b", "p1", "orders", "k0"), "orders", "k0", 3, {"x": 1}
    )

    assert unit_from_env({"ELT_UNIT": json.dumps(identity.as_dict())}) == identity


def test_only_the_id_is_required() -> None:
    assert parse_unit('{"id": "u1"}') == UnitIdentity("u1")


@pytest.mark.parametrize("environ", [{}, {"ELT_UNIT": ""}, {"ELT_UNIT": "  "}])
def test_unset_or_empty_means_an_ordinary_run(environ: dict[str, str]) -> None:
    assert unit_from_env(environ) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("{nope", "is not JSON"),
        ('["u1"]', "is a JSON list, not an object"),
        ("{}", "has id None"),
        ('{"id": "../etc"}', "has id '../etc'"),
        ('{"id": "_hidden"}', "has id '_hidden'"),
        ('{"id": "' + "u" * 101 + '"}', "has id"),
        ('{"id": "u1", "attempt": 0}', "has attempt 0"),
        ('{"id": "u1", "attempt": true}', "has attempt True"),
        ('{"id": "u1", "stream": 5}', "has a stream that is not a string"),
        ('{"id": "u1", "extra": []}', "has an extra that is not an object"),
        ('{"id": "u1", "tries": 2}', "has unknown keys ['tries']"),
    ],
)
def test_a_malformed_value_is_a_config_error_naming_the_variable(value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        unit_from_env({"ELT_UNIT": value})
    assert raised.value.exit_code == 78
    assert f"the environment variable ELT_UNIT {problem}" in str(raised.value)
