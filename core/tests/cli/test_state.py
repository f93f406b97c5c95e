from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from core.tests.plugins import STATE_ID, TAP, TARGET, ToyProject
from elt.state import LocalStateStore

Elt = Callable[..., Result]


def state(elt: Elt, root: Path, *args: str, input: str | None = None) -> Result:
    return elt("--project", str(root), "state", *args, input=input)


def test_set_get_list_and_clear_round_trip(elt: Elt, toy: ToyProject) -> None:
    value = {"bookmarks": {"items": {"id": 4}}}
    result = state(elt, toy.root, "set", STATE_ID, json.dumps(value))
    assert (result.exit_code, result.stdout) == (0, f"stored state for {STATE_ID}\n")
    assert state(elt, toy.root, "set", "prod:x", "{}").exit_code == 0
    got = state(elt, toy.root, "get", STATE_ID)
    assert (got.exit_code, json.loads(got.stdout)) == (0, value)
    assert state(elt, toy.root, "list").stdout == f"{STATE_ID}\nprod:x\n"
    assert state(elt, toy.root, "list", "--pattern", "prod:*").stdout == "prod:x\n"
    cleared = state(elt, toy.root, "clear", STATE_ID)
    assert (cleared.exit_code, cleared.stdout) == (0, f"cleared state for {STATE_ID}\n")
    assert state(elt, toy.root, "list").stdout == "prod:x\n"


def test_a_state_set_by_hand_is_where_the_next_run_starts(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 5})
    state(elt, toy.root, "set", STATE_ID, '{"bookmarks": {"items": {"id": 3}}}')
    assert elt("--project", str(toy.root), "run", TAP, TARGET).exit_code == 0
    assert toy.ids() == [4, 5]


def test_set_reads_the_state_from_stdin_given_a_dash(elt: Elt, toy: ToyProject) -> None:
    assert state(elt, toy.root, "set", "a", "-", input='{"bookmarks": {}}\n').exit_code == 0
    assert json.loads(state(elt, toy.root, "get", "a").stdout) == {"bookmarks": {}}


def test_set_refuses_what_is_not_a_json_object(elt: Elt, toy: ToyProject) -> None:
    for text, message in (
        ("[1]", "error: the state must be a JSON object."),
        ("{bad", "error: the state is not valid JSON: Expecting property name"),
        ('{"x": NaN}', "error: the state is not valid JSON: NaN is not a JSON value"),
    ):
        result = state(elt, toy.root, "set", "a", text)
        assert result.exit_code == 2
        assert result.stderr.startswith(message)
    assert state(elt, toy.root, "list").stdout == ""


def test_get_of_an_id_without_state_is_an_error_pointing_at_list(elt: Elt, toy: ToyProject) -> None:
    result = state(elt, toy.root, "get", "nope")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: no state stored for 'nope'. `elt state list` shows the ids that have one\n"
    )


def test_clearing_an_id_without_state_changes_nothing_and_says_so(
    elt: Elt, toy: ToyProject
) -> None:
    result = state(elt, toy.root, "clear", "nope")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "no state stored for nope; nothing to clear\n"


def test_state_cannot_change_while_a_run_holds_its_id(elt: Elt, toy: ToyProject) -> None:
    store = LocalStateStore.in_project(toy.root)
    with store.lock(STATE_ID, holder="run 20250101T000000Z-abcdef (pid 7)"):
        for args in (("set", STATE_ID, "{}"), ("clear", STATE_ID)):
            result = state(elt, toy.root, *args)
            assert result.exit_code == 2
            assert "is in use by run 20250101T000000Z-abcdef (pid 7)" in result.stderr
        assert state(elt, toy.root, "get", STATE_ID).exit_code == 2  # reading needs no lock
    assert store.get(STATE_ID) is None
