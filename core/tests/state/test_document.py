from __future__ import annotations

import pytest

from elt.errors import ProjectError, UsageError
from elt.state import check_state, parse_state
from elt.state.document import decode_stored, encode_state


def test_a_singer_state_with_bookmarks_and_other_keys_is_accepted_as_it_is() -> None:
    state = {"bookmarks": {"users": {"id": 3}}, "currently_syncing": None, "tap_own": [1]}
    assert check_state(state) == state
    assert parse_state('{"bookmarks": {}}') == {"bookmarks": {}}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[1]", "the state must be a JSON object"),
        ("{bad", "the state is not valid JSON: Expecting property name"),
        ('{"x": NaN}', "the state is not valid JSON: NaN is not a JSON value"),
        ('{"bookmarks": [1]}', "bookmarks must be an object keyed by stream"),
        ('{"bookmarks": {"users": 5}}', "the bookmark of stream 'users' must be an object"),
        ('{"currently_syncing": 1}', "currently_syncing must be a stream name or null"),
        ('{"singer_state": {"bookmarks": {}}}', "wrapped in singer_state, as Meltano exports it"),
    ],
)
def test_a_state_that_a_tap_could_not_read_is_refused_saying_why(text: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        parse_state(text)


def test_the_stored_form_is_compact_utf8_json_with_exact_big_integers() -> None:
    data = encode_state({"bookmarks": {"t": {"lsn": 2**70, "name": "ü"}}})
    assert data == '{"bookmarks":{"t":{"lsn":1180591620717411303424,"name":"ü"}}}'.encode()
    assert decode_stored(data, state_id="x", where="w") == {
        "bookmarks": {"t": {"lsn": 2**70, "name": "ü"}}
    }


@pytest.mark.parametrize("data", [b'{"a":', b"[]", b"\xff", b"NaN"])
def test_stored_bytes_that_are_no_state_object_are_a_project_error_naming_where(
    data: bytes,
) -> None:
    with pytest.raises(ProjectError) as raised:
        decode_stored(data, state_id="dev:x", where="s3://b/p/dev%3Ax.json")
    assert raised.value.where == "s3://b/p/dev%3Ax.json"
    assert "elt state clear 'dev:x'" in str(raised.value)
