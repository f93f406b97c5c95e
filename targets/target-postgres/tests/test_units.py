"""Units of a split run (``ELT_UNIT``): exactly once per unit, safe next to other units.

Real ``target-postgres`` processes, started concurrently as the workers of a split run would
start them, against the test's real database.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.targets import UnitDone, finish_unit_target, start_unit_target

from .conftest import TARGET, Database, Message, Messages, singer

PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "name": {"type": "string"},
    "amount": {"type": "integer"},
}


Done = UnitDone


@pytest.fixture
def config(pg_database: str, tmp_path: Path) -> Callable[..., Path]:
    """``config(**settings)``: a config file for the test's database."""

    def write(**settings: Any) -> Path:
        path = tmp_path / f"config-{len(list(tmp_path.glob('config-*')))}.json"
        path.write_text(json.dumps({"sqlalchemy_url": pg_database, **settings}))
        return path

    return write


def start(config: Path, unit: dict[str, Any] | str | None) -> subprocess.Popen[bytes]:
    return start_unit_target(TARGET, config, unit)


def run(config: Path, unit: dict[str, Any] | str | None, data: bytes) -> Done:
    return finish_unit_target(start(config, unit), data, timeout=180)


def run_at_once(
    config: Path,
    units: Sequence[tuple[dict[str, Any], bytes, bytes]],
    staged_first: Database | None = None,
) -> list[Done]:
    """Start every unit's target, send each its ``head``, then feed all their ``rest``
    concurrently. With ``staged_first`` (the database), the rests wait until every unit has
    staged rows in its open transaction, so they run while all the units are mid-unit."""
    processes = []
    for identity, head, rest in units:
        process = start(config, identity)
        assert process.stdin is not None
        process.stdin.write(head)
        process.stdin.flush()
        processes.append((process, rest))
    if staged_first is not None:
        _wait_for_rows_sent(staged_first, minimum=len(units))

    def finish(pair: tuple[subprocess.Popen[bytes], bytes]) -> Done:
        process, data = pair
        out, err = process.communicate(data, timeout=300)
        states = [json.loads(line) for line in out.decode().splitlines() if line]
        return Done(process.returncode, states, err.decode(errors="replace"))

    with ThreadPoolExecutor(len(processes)) as pool:
        return list(pool.map(finish, processes))


def unit(number: int, attempt: int = 1) -> dict[str, Any]:
    return {
        "id": f"u{number:024x}",
        "stream": "items",
        "partition": f"p{number}",
        "attempt": attempt,
        "extra": {},
    }


def unit_messages(
    number: int, rows: int, *, keys: Sequence[str], evolve: bool = False, **extra: Any
) -> list[Message]:
    """One partition's messages: ids ``number*rows …``; ``evolve`` adds column ``note``
    halfway (a second SCHEMA) and widens ``amount`` to a number."""
    m = Messages
    first = number * rows
    messages: list[Message] = [m.schema("items", PROPERTIES, keys)]
    for i in range(first, first + rows):
        if evolve and i == first + rows // 2:
            wider = {**PROPERTIES, "amount": {"type": "number"}, "note": {"type": "string"}}
            messages.append(m.schema("items", wider, keys))
        values: dict[str, Any] = {"id": i, "name": f"n{i}", "amount": i}
        if evolve and i >= first + rows // 2:
            values.update(amount=i + 0.5, note=f"note {i}")
        messages.append(m.record("items", values, **extra))
        if i % 700 == 0:
            messages.append(m.state({"unit": number, "at": i}))
    messages.append(m.state({"unit": number, "at": "end"}))
    return messages


@pytest.mark.parametrize("keys", [("id",), ()], ids=["keyed", "unkeyed"])
def test_four_units_into_one_table_at_once_load_every_row_exactly_once(
    config: Callable[..., Path], db: Database, keys: tuple[str, ...]
) -> None:
    rows = 2500
    target = config(batch_size_rows=600)  # several checkpoints inside each unit
    units = []
    for n in range(4):
        messages = unit_messages(n, rows, keys=keys, evolve=n == 2)
        head = len(messages) // 4  # before unit 2's second SCHEMA
        units.append((unit(n), singer(messages[:head]), singer(messages[head:])))

    results = run_at_once(target, units, staged_first=db)

    for number, done in enumerate(results):
        assert done.code == 0, done.stderr
        assert done.states == [{"unit": number, "at": "end"}], "one STATE, after the commit"
    total, distinct, noted = db.rows(
        "SELECT count(*), count(DISTINCT id), count(note) FROM public.items"
    )[0]
    assert (total, distinct, noted) == (4 * rows, 4 * rows, rows // 2)
    assert db.columns("public", "items")["amount"] == "numeric"
    assert db.rows("SELECT sum(amount) FROM public.items WHERE id >= 5000 AND id < 7500")[0][0] == (
        sum(range(5000, 7500)) + 0.5 * (rows // 2)
    )
    ledger = db.rows("SELECT unit_id, attempt, rows FROM public._elt_units ORDER BY unit_id")
    assert ledger == [(unit(n)["id"], 1, rows) for n in range(4)]


def test_unit_commits_nothing_before_the_end_of_its_input(
    config: Callable[..., Path], db: Database
) -> None:
    target = config(batch_size_rows=100, max_batch_age_seconds=0)
    process = start(target, unit(7))
    assert process.stdin is not None
    process.stdin.write(singer(unit_messages(7, 1000, keys=("id",))[:-1]))
    process.stdin.flush()
    _wait_for_rows_sent(db, minimum=1)
    assert db.rows("SELECT count(*) FROM public.items")[0][0] == 0
    out, err = process.communicate(singer([Messages.state({"unit": 7, "at": "end"})]), 60)
    assert process.returncode == 0, err.decode()
    assert [json.loads(x) for x in out.decode().splitlines()] == [{"unit": 7, "at": "end"}]
    assert db.rows("SELECT count(*) FROM public.items")[0][0] == 1000


def test_unit_killed_mid_load_leaves_nothing_and_its_rerun_loads_it_once(
    config: Callable[..., Path], db: Database
) -> None:
    target = config(batch_size_rows=500)
    data = singer(unit_messages(3, 4000, keys=()))
    process = start(target, unit(3))
    assert process.stdin is not None
    process.stdin.write(data[: len(data) // 2])
    process.stdin.flush()
    _wait_for_rows_sent(db, minimum=1)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    assert process.returncode == -signal.SIGKILL
    assert db.rows("SELECT count(*) FROM public.items")[0][0] == 0
    assert db.rows("SELECT count(*) FROM public._elt_units")[0][0] == 0

    rerun = run(target, unit(3, attempt=2), data)

    assert rerun.code == 0, rerun.stderr
    assert db.rows("SELECT count(*), count(DISTINCT id) FROM public.items")[0] == (4000, 4000)
    assert db.rows("SELECT attempt, rows FROM public._elt_units") == [(2, 4000)]


@pytest.mark.parametrize("keys", [("id",), ()], ids=["keyed", "unkeyed"])
def test_rerun_of_a_committed_unit_adds_nothing_and_still_emits_its_state(
    config: Callable[..., Path], db: Database, keys: tuple[str, ...]
) -> None:
    target = config()
    data = singer(unit_messages(1, 300, keys=keys))
    assert run(target, unit(1), data).code == 0

    rerun = run(target, unit(1, attempt=2), data)

    assert rerun.code == 0, rerun.stderr
    assert rerun.states == [{"unit": 1, "at": "end"}]
    assert "already committed by an earlier attempt (attempt 1" in rerun.stderr
    assert db.rows("SELECT count(*) FROM public.items")[0][0] == 300
    assert db.rows("SELECT attempt, rows FROM public._elt_units") == [(1, 300)]


def test_two_live_attempts_of_one_unit_load_it_once(
    config: Callable[..., Path], db: Database
) -> None:
    target = config()
    data = singer(unit_messages(5, 2000, keys=()))

    results = run_at_once(
        target, [(unit(5, attempt=1), b"", data), (unit(5, attempt=2), b"", data)]
    )

    assert [r.code for r in results] == [0, 0], [r.stderr for r in results]
    assert sum("already committed" in r.stderr for r in results) == 1
    assert db.rows("SELECT count(*) FROM public.items")[0][0] == 2000


def test_activate_version_after_the_units_retires_rows_of_older_versions(
    config: Callable[..., Path], db: Database
) -> None:
    m = Messages
    target = config(hard_delete=True)
    old = [m.schema("items", PROPERTIES)] + [
        m.record("items", {"id": i, "name": "old", "amount": 0}, version=1)
        for i in range(10_000, 10_050)
    ]
    assert run(target, None, singer([*old, m.activate("items", 1)])).code == 0
    units = [
        (unit(n), b"", singer(unit_messages(n, 400, keys=("id",), version=2))) for n in range(3)
    ]

    results = run_at_once(target, units)
    assert [r.code for r in results] == [0, 0, 0], [r.stderr for r in results]
    assert db.rows("SELECT count(*) FROM public.items")[0][0] == 1250, "not retired yet"

    coordinator = run(target, None, singer([m.schema("items", PROPERTIES), m.activate("items", 2)]))

    assert coordinator.code == 0, coordinator.stderr
    assert db.rows("SELECT count(*), min(id), max(id), min(_sdc_table_version) FROM public.items")[
        0
    ] == (1200, 0, 1199, 2)


def test_a_whole_stream_unit_applies_its_activate_version_when_it_commits(
    config: Callable[..., Path], db: Database
) -> None:
    m = Messages
    target = config(hard_delete=True)
    whole = {**unit(7), "partition": None}

    def snapshot(version: int, ids: range) -> bytes:
        records = [
            m.record("items", {"id": i, "name": "v", "amount": i}, version=version) for i in ids
        ]
        return singer(
            [
                m.schema("items", PROPERTIES, ("id",)),
                *records,
                m.activate("items", version),
                m.state({"v": version}),
            ]
        )

    assert (
        run(
            target,
            None,
            singer(
                [
                    m.schema("items", PROPERTIES, ("id",)),
                    *(
                        m.record("items", {"id": i, "name": "old", "amount": 0}, version=1)
                        for i in range(100, 110)
                    ),
                ]
            ),
        ).code
        == 0
    )
    done = run(target, whole, snapshot(2, range(5)))

    assert done.code == 0, done.stderr
    assert done.states == [{"v": 2}]
    assert db.rows("SELECT count(*), max(id) FROM public.items")[0] == (5, 4)
    again = run(target, whole, snapshot(2, range(5)))  # an attempt after the commit
    assert again.code == 0, again.stderr
    assert db.rows("SELECT count(*) FROM public.items")[0][0] == 5


def test_activate_version_inside_a_unit_is_refused(
    config: Callable[..., Path], db: Database
) -> None:
    m = Messages
    data = singer([*unit_messages(0, 10, keys=("id",)), m.activate("items", 3)])

    done = run(config(), unit(0), data)

    assert done.code == 65
    assert "ACTIVATE_VERSION for stream 'items' arrived inside a unit" in done.stderr
    assert db.rows("SELECT count(*) FROM public.items")[0][0] == 0


@pytest.mark.parametrize(
    "value",
    ['{"id": ""}', "not json", '{"id": "../x"}', '{"id": "u1", "attempt": 0}', "[]"],
)
def test_malformed_elt_unit_exits_78_naming_it(config: Callable[..., Path], value: str) -> None:
    done = run(config(), value, singer(unit_messages(0, 3, keys=("id",))))

    assert done.code == 78
    assert "ELT_UNIT" in done.stderr
    assert done.states == []


def test_overwrite_cannot_be_split_into_units(config: Callable[..., Path]) -> None:
    done = run(config(load_method="overwrite"), unit(0), singer(unit_messages(0, 3, keys=())))

    assert done.code == 78
    assert "load_method overwrite cannot load unit" in done.stderr


def _wait_for_rows_sent(db: Database, minimum: int) -> None:
    """Wait until ``minimum`` target sessions have COPYed rows into their staging table (a
    relation their open transaction created, so not yet in the catalog)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        (waiting,) = db.rows(
            "SELECT count(DISTINCT a.pid) FROM pg_stat_activity a JOIN pg_locks l USING (pid) "
            "WHERE a.application_name = 'target-postgres' "
            "AND l.locktype = 'relation' AND l.mode = 'RowExclusiveLock' "
            "AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = l.relation)"
        )[0]
        if waiting >= minimum:
            return
        time.sleep(0.05)
    raise AssertionError("no target session sent rows within 60 s")
