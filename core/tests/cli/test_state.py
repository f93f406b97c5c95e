from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from core.tests.plugins import STATE_ID, TAP, TARGET, ToyProject
from core.tests.state.backends import NAMES, Backend, make_backend
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
        ('{"bookmarks": {"items": 4}}', "error: the state: the bookmark of stream 'items' must"),
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


def test_set_and_clear_with_force_take_a_held_lock_with_a_warning(
    elt: Elt, toy: ToyProject
) -> None:
    store = LocalStateStore.in_project(toy.root)
    with store.lock(STATE_ID, holder="run 20250101T000000Z-abcdef (pid 7)"):
        result = state(elt, toy.root, "set", STATE_ID, "{}", "--force")
        assert result.exit_code == 0
        assert "--force: taking the lock of" in result.stderr
        assert "from run 20250101T000000Z-abcdef (pid 7)" in result.stderr
        assert state(elt, toy.root, "clear", STATE_ID, "--force").exit_code == 0
    assert store.get(STATE_ID) is None


def test_copy_of_an_id_without_state_is_an_error_and_writes_nothing(
    elt: Elt, toy: ToyProject
) -> None:
    result = state(elt, toy.root, "copy", "nope", "dev:b")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no state stored for 'nope'")
    assert state(elt, toy.root, "list").stdout == ""


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ('{"dev:a": {"bookmarks": {}}, "dev:b": [1]}', "the state of 'dev:b' in "),
        ('{"dev:a": {"bookmarks": {}}, "": {}}', "a state id must not be empty"),
        ('[{"bookmarks": {}}]', "must be a JSON object of state id to state"),
        ('{"dev:a": {"bookmarks": {}},', "is not valid JSON"),
    ],
)
def test_import_checks_every_entry_before_writing_any(
    elt: Elt, toy: ToyProject, tmp_path: Path, document: str, problem: str
) -> None:
    file = tmp_path / "states.json"
    file.write_text(document)
    result = state(elt, toy.root, "import", str(file))
    assert result.exit_code == 2
    assert problem in result.stderr
    assert state(elt, toy.root, "list").stdout == ""


def test_import_changes_nothing_while_a_run_holds_one_of_its_ids(elt: Elt, toy: ToyProject) -> None:
    document = {"dev:a": {"bookmarks": {}}, STATE_ID: {"bookmarks": {}}}
    store = LocalStateStore.in_project(toy.root)
    with store.lock(STATE_ID, holder="run 20250101T000000Z-abcdef (pid 7)"):
        result = state(elt, toy.root, "import", "-", input=json.dumps(document))
    assert result.exit_code == 2
    assert "is in use by run 20250101T000000Z-abcdef (pid 7)" in result.stderr
    assert store.list() == ()


@pytest.fixture(params=NAMES)
def backend(
    request: pytest.FixtureRequest, toy: ToyProject, monkeypatch: pytest.MonkeyPatch
) -> Backend:
    """The toy project, with its state_backend set to each backend in turn."""
    backend = make_backend(request.param, request, toy.root, monkeypatch)
    backend.configure(toy.root)
    return backend


def test_every_state_verb_works_against_the_configured_backend(
    elt: Elt, toy: ToyProject, backend: Backend
) -> None:
    value = {"bookmarks": {"items": {"id": 4}}}
    assert state(elt, toy.root, "set", "dev:a", json.dumps(value)).exit_code == 0
    assert state(elt, toy.root, "copy", "dev:a", "prod:a").stdout == (
        "copied state of dev:a to prod:a\n"
    )
    assert state(elt, toy.root, "list").stdout == "dev:a\nprod:a\n"
    assert json.loads(state(elt, toy.root, "get", "prod:a").stdout) == value
    exported = state(elt, toy.root, "export", "prod:*")
    assert json.loads(exported.stdout) == {"prod:a": value}
    assert state(elt, toy.root, "clear", "prod:a").exit_code == 0
    imported = state(elt, toy.root, "import", "-", input=exported.stdout)
    assert imported.stdout == "imported 1 state\n"
    assert json.loads(state(elt, toy.root, "export").stdout) == {"dev:a": value, "prod:a": value}
    store = backend.open()
    assert store.list() == ("dev:a", "prod:a")
    store.close()
    if backend.url is not None:  # nothing went to the project directory
        assert not (toy.root / ".elt" / "state").exists()


def test_export_from_one_backend_and_import_into_another_moves_every_bookmark(
    elt: Elt, toy: ToyProject, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = {"dev:a": {"bookmarks": {"x": {"id": 1}}}, "prod:b": {"bookmarks": {}}}
    state(elt, toy.root, "import", "-", input=json.dumps(states))
    exported = state(elt, toy.root, "export").stdout
    make_backend("s3", request, toy.root, monkeypatch).configure(toy.root)
    assert state(elt, toy.root, "list").stdout == ""
    assert state(elt, toy.root, "import", "-", input=exported).stdout == "imported 2 states\n"
    assert json.loads(state(elt, toy.root, "export").stdout) == states
