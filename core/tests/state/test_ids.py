from __future__ import annotations

import pytest

from elt.errors import UsageError
from elt.state import (
    check_state_id,
    default_state_id,
    state_id_filename,
    state_id_from_filename,
)


def test_the_default_state_id_names_environment_tap_and_target() -> None:
    assert default_state_id("prod", "tap-csv", "target-postgres") == (
        "prod:tap-csv-to-target-postgres"
    )


def test_without_an_environment_the_state_id_says_default() -> None:
    assert default_state_id(None, "tap-a", "target-b") == "default:tap-a-to-target-b"


@pytest.mark.parametrize(
    "state_id",
    ["dev:tap-a-to-target-b", "a/b/../c", "..", ".hidden", "50%:x", "ünï:cödé", "a b\\c"],
)
def test_a_state_id_becomes_one_safe_file_name_and_back(state_id: str) -> None:
    name = state_id_filename(state_id)
    assert "/" not in name
    assert not name.startswith(".")
    assert name.isascii()
    assert state_id_from_filename(name) == state_id


def test_the_colon_of_a_default_id_is_percent_encoded() -> None:
    assert state_id_filename("dev:tap-a-to-target-b") == "dev%3Atap-a-to-target-b"


@pytest.mark.parametrize("state_id", ["", "   ", "a\nb", "x" * 201])
def test_empty_multiline_and_overlong_ids_are_refused(state_id: str) -> None:
    with pytest.raises(UsageError):
        check_state_id(state_id)
