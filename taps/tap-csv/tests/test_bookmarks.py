from __future__ import annotations

from decimal import Decimal

import pytest
from tap_csv.bookmarks import Bookmarks
from tap_csv.columns import Kind
from tap_csv.files import SourceFile

from elt.errors import ConfigError

A = SourceFile("a.csv", mtime_ns=10, size=100)


def test_a_file_is_unchanged_only_with_the_same_mtime_and_size() -> None:
    state: dict[str, object] = {}
    bookmarks = Bookmarks(state, "s", None, None)
    assert not bookmarks.unchanged(A)
    bookmarks.file_done(A)
    assert state == {"files": {"a.csv": {"mtime_ns": 10, "size": 100}}}
    assert bookmarks.unchanged(A)
    assert not bookmarks.unchanged(SourceFile("a.csv", mtime_ns=11, size=100))
    assert not bookmarks.unchanged(SourceFile("a.csv", mtime_ns=10, size=101))


def test_finishing_drops_files_that_are_gone() -> None:
    state = {
        "files": {"gone.csv": {"mtime_ns": 1, "size": 1}, "a.csv": {"mtime_ns": 10, "size": 100}}
    }
    Bookmarks(state, "s", None, None).finish([A])
    assert state == {"files": {"a.csv": {"mtime_ns": 10, "size": 100}}}


def test_rows_below_the_mark_are_skipped_equal_and_null_ones_kept() -> None:
    state = {"replication_key": "n", "replication_key_value": 5}
    bookmarks = Bookmarks(state, "s", "n", Kind.INTEGER)
    assert bookmarks.keep([4, 5, None, 6]) == [1, 2, 3]
    bookmarks.finish([])
    assert state["replication_key_value"] == 6


def test_date_times_compare_as_instants_across_offsets() -> None:
    state = {"replication_key": "t", "replication_key_value": "2026-01-01T12:00:00+02:00"}
    bookmarks = Bookmarks(state, "s", "t", Kind.DATE_TIME)
    # 10:30Z is after 12:00+02:00 (10:00Z); as text it would sort before it.
    assert bookmarks.keep(
        ["2026-01-01T10:30:00Z", "2026-01-01T09:59:59Z", "2026-01-01T10:00:00"]
    ) == [0, 2]
    bookmarks.finish([])
    assert state["replication_key_value"] == "2026-01-01T10:30:00Z"


def test_the_mark_never_moves_back_and_keeps_number_digits() -> None:
    state = {"replication_key": "n", "replication_key_value": "10.000000000000000001"}
    bookmarks = Bookmarks(state, "s", "n", Kind.NUMBER)
    bookmarks.keep([Decimal("3")])
    bookmarks.finish([])
    assert state["replication_key_value"] == Decimal("10.000000000000000001")


def test_a_mark_for_another_key_is_ignored() -> None:
    assert (
        Bookmarks(
            {"replication_key": "other", "replication_key_value": 9}, "s", "n", Kind.INTEGER
        ).start
        is None
    )


def test_a_mark_that_is_not_of_the_key_type_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as error:
        Bookmarks(
            {"replication_key": "n", "replication_key_value": "soon"}, "events", "n", Kind.INTEGER
        )
    assert error.value.where == "state bookmarks.events"
