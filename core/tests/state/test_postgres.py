"""What the Postgres backend adds to the contract: its tables, and a race decided by the server."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg

from core.tests.plugins import wait_for
from elt.errors import UsageError
from elt.state import open_state_store


def test_state_lives_in_two_tables_of_the_chosen_schema_created_on_first_use(
    tmp_path: Path, pg_database: str
) -> None:
    store = open_state_store(tmp_path, pg_database, {"schema": "ops state"})
    with store.lock("dev:a", holder="me"):
        store.set("dev:a", {"bookmarks": {"t": {"lsn": 2**70}}})
        with psycopg.connect(pg_database) as connection:
            held = connection.execute('select holder from "ops state".elt_state_lock').fetchall()
            value, updated = connection.execute(
                'select value, updated_at from "ops state".elt_state'
            ).fetchone() or (None, None)
    store.close()
    assert held == [("me",)]
    assert value == {"bookmarks": {"t": {"lsn": 2**70}}}
    assert updated is not None


def test_of_several_runs_racing_for_an_id_exactly_one_gets_the_lock(
    tmp_path: Path, pg_database: str
) -> None:
    stores = [open_state_store(tmp_path, pg_database) for _ in range(6)]
    stores[0].list()  # the tables exist before the race
    start = threading.Barrier(len(stores))
    release = threading.Event()
    outcomes: list[str] = []

    def contend(index: int) -> None:
        start.wait()
        try:
            with stores[index].lock("dev:a", holder=f"run {index}"):
                outcomes.append("won")
                release.wait(10)
        except UsageError:
            outcomes.append("refused")

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    wait_for(lambda: len(outcomes) == len(stores), timeout=10)  # the winner holds on until released
    release.set()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert sorted(outcomes) == ["refused"] * (len(stores) - 1) + ["won"]
