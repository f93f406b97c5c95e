"""singer-sdk's standard tap tests against a real database with keyed, keyless and view streams."""

from __future__ import annotations

import atexit
import uuid

import psycopg
from singer_sdk.testing import get_tap_test_class
from tap_postgres import TapPostgres

from tests.fixtures.services import LOCAL_PG_URL, pg_connect_error, throwaway_pg_cluster


def _database() -> str:
    """A fresh database for the suite, made at import as get_tap_test_class needs its config."""
    import os
    from contextlib import ExitStack
    from urllib.parse import urlsplit

    url = os.environ.get("ELT_TEST_PG_URL") or LOCAL_PG_URL
    if pg_connect_error(url) is not None:
        stack = ExitStack()
        url = stack.enter_context(throwaway_pg_cluster())
        atexit.register(stack.close)
    name = f"elt_std_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"create database {name}")
    database = urlsplit(url)._replace(path=f"/{name}").geturl()
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(
            "create table users (id int primary key, name text, updated_at timestamptz);"
            "insert into users select i, 'u' || i, now() from generate_series(1, 5) i;"
            "create table events (kind text, amount numeric(10, 2));"
            "insert into events values ('a', 1.50), ('b', null);"
            "create view user_names as select id, name from users"
        )

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")

    atexit.register(drop)
    return database


TestTapPostgresStandard = get_tap_test_class(TapPostgres, config={"sqlalchemy_url": _database()})
