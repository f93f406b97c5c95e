"""The StateStore contract, run against every backend on its real server.

local files, S3 (moto), GCS (gcp-storage-emulator), Azure Blob (Azurite), Postgres.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from core.tests.state.backends import NAMES, Backend, hold_lock_in_process, make_backend
from elt.errors import ProjectError, UsageError
from elt.state import StateStore

STATE = {"bookmarks": {"users": {"updated_at": "2024-05-01T00:00:00Z", "lsn": 2**70}}}
SHORT_LEASE = 0.4


@pytest.fixture(params=NAMES)
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Backend:
    return make_backend(request.param, request, tmp_path, monkeypatch)


@pytest.fixture
def store(backend: Backend) -> Iterator[StateStore]:
    store = backend.open(SHORT_LEASE)
    yield store
    store.close()


@pytest.fixture
def other(backend: Backend) -> Iterator[StateStore]:
    """A second store on the same backend: another client, as another run would have."""
    store = backend.open(SHORT_LEASE)
    yield store
    store.close()


def test_an_unknown_id_has_no_state_and_a_set_state_reads_back_exactly(
    store: StateStore, other: StateStore
) -> None:
    assert store.get("dev:a-to-b") is None
    state = {**STATE, "currently_syncing": "ünïcödé", "ratio": 0.5}
    store.set("dev:a-to-b", state)
    assert other.get("dev:a-to-b") == state


def test_set_replaces_the_whole_state(store: StateStore) -> None:
    store.set("dev:a-to-b", STATE)
    store.set("dev:a-to-b", {"bookmarks": {}})
    assert store.get("dev:a-to-b") == {"bookmarks": {}}
    assert store.list() == ("dev:a-to-b",)


def test_clear_forgets_the_state_and_says_whether_there_was_one(store: StateStore) -> None:
    store.set("dev:a-to-b", STATE)
    assert store.clear("dev:a-to-b") is True
    assert store.get("dev:a-to-b") is None
    assert store.clear("dev:a-to-b") is False


def test_list_gives_sorted_ids_matching_a_glob_and_never_a_lock(store: StateStore) -> None:
    for state_id in ("prod:b", "dev:a", "prod:a/b", "50%:x"):
        store.set(state_id, STATE)
    with store.lock("dev:locked", holder="test"):
        assert store.list() == ("50%:x", "dev:a", "prod:a/b", "prod:b")
    assert store.list("prod:*") == ("prod:a/b", "prod:b")


def test_an_unreadable_stored_state_is_an_error_naming_the_backend(
    backend: Backend, store: StateStore
) -> None:
    store.set("dev:a-to-b", STATE)
    backend.corrupt(store, "dev:a-to-b")
    with pytest.raises(ProjectError) as raised:
        store.get("dev:a-to-b")
    assert "the stored state of 'dev:a-to-b' is not" in raised.value.message
    assert raised.value.where is not None
    if backend.url is not None:
        assert backend.url.partition("://")[0] in raised.value.where
    assert "elt state clear 'dev:a-to-b'" in str(raised.value)


def test_a_held_lock_refuses_a_second_holder_and_names_the_first(
    store: StateStore, other: StateStore
) -> None:
    with store.lock("dev:a-to-b", holder="run 20250101T000000Z-abcdef (pid 1)"):
        with pytest.raises(UsageError) as raised, other.lock("dev:a-to-b", holder="second"):
            pytest.fail("the second holder got the lock")
        message = str(raised.value)
        assert "state 'dev:a-to-b' is in use by run 20250101T000000Z-abcdef (pid 1) on host " in (
            message
        )
        assert " since 20" in message
        assert "--force" in message
        with other.lock("dev:other", holder="unrelated"):
            pass
    with other.lock("dev:a-to-b", holder="third"):
        pass


def test_a_holder_renews_its_lease_for_as_long_as_it_holds_the_lock(
    store: StateStore, other: StateStore
) -> None:
    with store.lock("dev:a-to-b", holder="long run"):
        time.sleep(SHORT_LEASE * 2)
        with (
            pytest.raises(UsageError, match="in use by long run"),
            other.lock("dev:a-to-b", holder="second"),
        ):
            pytest.fail("the second holder got the lock")


def test_a_dead_holders_lock_is_taken_over_once_its_lease_runs_out(
    backend: Backend, store: StateStore
) -> None:
    holder = hold_lock_in_process(backend, SHORT_LEASE)
    holder.kill()
    holder.wait()
    if backend.leased:  # no one renews it any more, but the lease still runs
        with (
            pytest.raises(UsageError, match="in use by the other process"),
            store.lock("dev:a-to-b", holder="me"),
        ):
            pass
        time.sleep(SHORT_LEASE)
    with store.lock("dev:a-to-b", holder="me"):  # flock: freed by the kernel at once
        pass


def test_force_takes_a_held_lock_with_a_warning_naming_the_holder(
    backend: Backend, store: StateStore, other: StateStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="elt")
    with ExitStack() as first:
        first.enter_context(store.lock("dev:a-to-b", holder="stuck run"))
        with other.lock("dev:a-to-b", holder="forced run", force=True):
            assert "--force: taking the lock of 'dev:a-to-b' from stuck run" in caplog.text
            if backend.leased:
                time.sleep(SHORT_LEASE)  # the first holder's next renewal finds it gone
                assert "lost the lock of 'dev:a-to-b' to another run" in caplog.text
                first.close()  # its release must leave the new holder's lock alone
                with (
                    pytest.raises(UsageError, match="in use by forced run"),
                    store.lock("dev:a-to-b", holder="third"),
                ):
                    pass
