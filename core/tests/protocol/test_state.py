from __future__ import annotations

from elt.protocol import clear_stream, get_bookmark, merge_state, set_bookmark


def test_partial_state_keeps_bookmarks_of_other_streams() -> None:
    base = {"bookmarks": {"users": {"updated_at": "2026-01-01"}, "orders": {"id": 5}}}
    update = {"bookmarks": {"orders": {"id": 9}}}
    assert merge_state(base, update) == {
        "bookmarks": {"users": {"updated_at": "2026-01-01"}, "orders": {"id": 9}}
    }


def test_lists_and_scalars_in_the_newer_state_replace_older_ones() -> None:
    base = {"bookmarks": {"s": {"partitions": [{"a": 1}, {"a": 2}]}}, "currently_syncing": "s"}
    update = {"bookmarks": {"s": {"partitions": [{"a": 3}]}}, "currently_syncing": None}
    assert merge_state(base, update) == {
        "bookmarks": {"s": {"partitions": [{"a": 3}]}},
        "currently_syncing": None,
    }


def test_a_stream_bookmark_replaces_the_older_one_whole() -> None:
    base = {"bookmarks": {"s": {"value": 1, "replication_key_signpost": "x"}, "t": {"v": 1}}}
    update = {"bookmarks": {"s": {"value": 2}}}
    assert merge_state(base, update) == {"bookmarks": {"s": {"value": 2}, "t": {"v": 1}}}


def test_merge_does_not_mutate_its_arguments() -> None:
    base = {"bookmarks": {"s": {"v": 1}}}
    merge_state(base, {"bookmarks": {"s": {"v": 2}}})
    assert base == {"bookmarks": {"s": {"v": 1}}}


def test_bookmarks_are_read_and_set_per_stream() -> None:
    state = set_bookmark({}, "users", "replication_key_value", 42)
    assert get_bookmark(state, "users", "replication_key_value") == 42
    assert get_bookmark(state, "orders", "replication_key_value", "none") == "none"
    assert get_bookmark({"bookmarks": "garbage"}, "users", "x") is None


def test_clear_stream_forgets_one_stream_only() -> None:
    state = {"bookmarks": {"users": {"v": 1}, "orders": {"v": 2}}, "other": True}
    assert clear_stream(state, "users") == {"bookmarks": {"orders": {"v": 2}}, "other": True}
