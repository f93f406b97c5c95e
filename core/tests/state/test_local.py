from __future__ import annotations

import json
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from elt.errors import ProjectError, ServiceError, UsageError
from elt.state import LocalStateStore, open_state_store

STATE = {"bookmarks": {"users": {"updated_at": "2024-05-01T00:00:00Z"}}}


@pytest.fixture
def store(tmp_path: Path) -> LocalStateStore:
    return LocalStateStore(tmp_path / "state")


def test_a_project_keeps_its_state_in_dot_elt_state(tmp_path: Path) -> None:
    store = open_state_store(tmp_path)
    store.set("dev:a-to-b", STATE)
    assert (tmp_path / ".elt" / "state" / "dev%3Aa-to-b.json").is_file()


def test_an_unknown_id_has_no_state(store: LocalStateStore) -> None:
    assert store.get("dev:a-to-b") is None


def test_the_file_holds_the_plain_singer_state_readable_by_its_owner_only(
    store: LocalStateStore,
) -> None:
    store.set("dev:a-to-b", STATE)
    path = store.path("dev:a-to-b")
    assert json.loads(path.read_text()) == STATE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.get("dev:a-to-b") == STATE


def test_set_replaces_the_state_and_leaves_no_temporary_file(store: LocalStateStore) -> None:
    store.set("dev:a-to-b", STATE)
    store.set("dev:a-to-b", {"bookmarks": {}})
    assert store.get("dev:a-to-b") == {"bookmarks": {}}
    assert sorted(p.name for p in store.directory.iterdir()) == ["dev%3Aa-to-b.json"]


def test_big_integers_survive_a_round_trip(store: LocalStateStore) -> None:
    store.set("x", {"bookmarks": {"t": {"lsn": 2**70}}})
    assert store.get("x") == {"bookmarks": {"t": {"lsn": 2**70}}}


def test_list_gives_sorted_ids_matching_a_glob_and_skips_lock_files(
    store: LocalStateStore,
) -> None:
    for state_id in ("prod:b", "dev:a", "prod:a/b"):
        store.set(state_id, STATE)
    with store.lock("dev:zzz", holder="test"):
        assert store.list() == ("dev:a", "prod:a/b", "prod:b")
    assert store.list("prod:*") == ("prod:a/b", "prod:b")


def test_list_of_a_store_never_written_is_empty(store: LocalStateStore) -> None:
    assert store.list() == ()


def test_clear_forgets_the_state_and_says_whether_there_was_one(store: LocalStateStore) -> None:
    store.set("dev:a-to-b", STATE)
    assert store.clear("dev:a-to-b") is True
    assert store.get("dev:a-to-b") is None
    assert store.clear("dev:a-to-b") is False


def test_a_corrupt_state_file_is_a_project_error_naming_the_file(
    store: LocalStateStore,
) -> None:
    store.set("dev:a-to-b", STATE)
    store.path("dev:a-to-b").write_text('{"bookmarks": ')
    with pytest.raises(ProjectError) as raised:
        store.get("dev:a-to-b")
    assert raised.value.where == str(store.path("dev:a-to-b"))
    assert "elt state clear" in str(raised.value)


def test_a_state_that_cannot_be_written_is_a_service_error_and_keeps_nothing_half_done(
    store: LocalStateStore,
) -> None:
    store.path("x").mkdir(parents=True)  # a directory where the file should go
    with pytest.raises(ServiceError) as raised:
        store.set("x", STATE)
    assert "could not store the state of 'x'" in str(raised.value)
    assert sorted(p.name for p in store.directory.iterdir()) == ["x.json"]


def test_a_held_lock_refuses_a_second_holder_and_names_the_first(
    store: LocalStateStore,
) -> None:
    with store.lock("dev:a-to-b", holder="run 20250101T000000Z-abcdef (pid 1)"):
        with pytest.raises(UsageError) as raised, store.lock("dev:a-to-b", holder="second"):
            pass
        assert "in use by run 20250101T000000Z-abcdef (pid 1)" in str(raised.value)
        with store.lock("dev:other", holder="unrelated"):
            pass
    with store.lock("dev:a-to-b", holder="third"):
        pass


HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from elt.state import LocalStateStore

    with LocalStateStore(Path(sys.argv[1])).lock("dev:a-to-b", holder="the other process"):
        print("locked", flush=True)
        time.sleep(60)
    """
)


def test_a_lock_excludes_other_processes_and_dies_with_its_holder(
    store: LocalStateStore,
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(store.directory)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n"
        with (
            pytest.raises(UsageError, match="in use by the other process"),
            store.lock("dev:a-to-b", holder="me"),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()
    with store.lock("dev:a-to-b", holder="me"):
        pass
