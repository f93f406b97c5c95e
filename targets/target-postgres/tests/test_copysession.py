"""The connection's open COPY on its own: send limits, the DIRECT replay into staging, and
errors naming the input line of the rejected row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from target_postgres.copysession import CopySession
from target_postgres.rows import Clock, sequence_from
from target_postgres.schemas import Schemas
from target_postgres.settings import Settings
from target_postgres.staging import Staging
from target_postgres.stream import Mode, Stream

from elt.errors import ProtocolError
from elt.sdk import OrjsonReader

SCHEMA = {
    "type": "SCHEMA",
    "stream": "items",
    "schema": {"properties": {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}}},
    "key_properties": ["id"],
}


class Session:
    """A CopySession on a real connection, with the streams of two SCHEMAs."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url)
        cur = self.conn.cursor()
        clock, sequence = Clock("2024-01-01T00:00:00+00:00"), sequence_from(1)
        settings = Settings.from_config({"sqlalchemy_url": url})
        schemas = Schemas(
            cur,
            settings,
            unit=None,
            clock=clock,
            sequence=sequence,
            sync_started_ms=0,
            where=lambda **_: "input.jsonl",
        )
        self.streams: dict[str, Stream] = {
            name: schemas.apply(name, {**SCHEMA, "stream": name}, None)
            for name in ("items", "others")
        }
        staging = Staging(cur, unit=None, clock=clock, sequence=sequence, where=lambda **_: "")
        self.copy = CopySession(
            cur,
            self.streams,
            reader=OrjsonReader(name="input.jsonl"),
            staging=staging.table,
            chunk_rows=2,
            switch_rows=3,
        )

    def queue(self, stream: Stream, *rows: tuple[bytes, int]) -> None:
        for line, number in rows:
            stream.parts.append(line)
            stream.lines.append(number)

    def open(self, stream: Stream) -> None:
        self.copy.open(stream, stream.table.sql(), staged=False)


@pytest.fixture
def session(pg_database: str) -> Iterator[Session]:
    made = Session(pg_database)
    made.conn.commit()
    yield made
    made.conn.close()


def rows(conn: psycopg.Connection[Any], sql: str) -> list[tuple[Any, ...]]:
    return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def test_the_open_copys_stream_sends_in_chunks_and_the_others_wait_for_a_switch(
    session: Session,
) -> None:
    items, others = session.streams["items"], session.streams["others"]
    session.open(items)
    assert (session.copy.stream, items.limit, others.limit) == (items, 2, 3)
    session.queue(items, (b'1,"a"', 10), (b'2,"b"', 11))
    assert session.copy.send(items) == 2
    assert (items.parts, list(items.lines)) == ([], [])
    assert session.copy.close() == (items, 2)
    assert (session.copy.stream, items.limit, others.limit) == (None, 1, 1)
    assert session.copy.close() is None
    assert rows(session.conn, "SELECT id, name FROM items ORDER BY id") == [(1, "a"), (2, "b")]


def test_a_direct_copy_that_meets_an_existing_key_is_replayed_into_staging(
    session: Session,
) -> None:
    items = session.streams["items"]
    session.conn.execute("INSERT INTO items (id, name) VALUES (1, 'old')")
    assert items.mode is Mode.DIRECT
    session.open(items)
    session.queue(items, (b'1,"new"', 1), (b'2,"b"', 2))
    session.copy.send(items)
    assert session.copy.close() == (items, 2)
    assert (items.mode, items.staged_rows) == (Mode.STAGED, 2)
    assert rows(session.conn, f"SELECT id, name FROM {items.staging} ORDER BY id") == [
        (1, "new"),
        (2, "b"),
    ]
    assert rows(session.conn, "SELECT id, name FROM items") == [(1, "old")]  # merged later


def test_a_rejected_row_is_named_by_its_input_line(session: Session) -> None:
    items = session.streams["items"]
    session.open(items)
    session.queue(items, (b'1,"a"', 7), (b'"x","b"', 42))
    session.copy.send(items)
    with pytest.raises(ProtocolError) as failed:
        session.copy.close()
    assert "input.jsonl line 42" in str(failed.value)
    assert "property 'id'" in str(failed.value)


def test_an_abandoned_copy_leaves_nothing_and_the_connection_can_roll_back(
    session: Session,
) -> None:
    items = session.streams["items"]
    session.open(items)
    session.queue(items, (b'1,"a"', 1))
    session.copy.send(items)
    session.copy.abandon()
    assert session.copy.stream is None
    session.conn.rollback()
    assert rows(session.conn, "SELECT count(*) FROM items") == [(0,)]
