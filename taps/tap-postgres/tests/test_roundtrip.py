"""Every type round-trips: tap-postgres piped into target-postgres, and into target-files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from target_files.store import LocalStore

from tests.fixtures.lake import data_keys, read_records

from .conftest import TAP

TARGET_POSTGRES = Path(sys.executable).with_name("target-postgres")
TARGET_FILES = Path(sys.executable).with_name("target-files")

EVERY_TYPE = """
create type mood as enum ('sad', 'happy');
create domain price as numeric(12, 2);
create table every_type (
    id integer primary key, sm smallint, big bigint, n numeric(30, 10), f real,
    d double precision, t text, v varchar(10), c char(3), u uuid, b boolean, dt date,
    tm time, ts timestamp, tz timestamptz, iv interval, j json, jb jsonb, ints integer[],
    texts text[], by bytea, m mood, p price
);
insert into every_type values
 (1, -32768, 9223372036854775807, 12345678901234567890.0123456789, 0.1, 1e300,
  'quote " comma , newline
 backslash \\ tab	', 'ünïcødé', 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', true,
  '2026-03-01', '23:59:59.999999', '2026-03-01 10:00:00.5', '2026-03-01 10:00:00+05:30',
  '1 year 2 months 3 days 04:05:06.7', '{"a": [1, 2.50, null]}', '{"b": {"c": "d"}}',
  '{1,NULL,3}', '{"x","y,z",NULL}', '\\x00ff0a', 'happy', 99.95),
 (2, null, null, null, null, null, '', null, null, null, false, null, null, null, null,
  null, '"text"', '[]', '{}', '{}', '', null, null);
"""

# One boolean per column: the loaded value equals the source value, compared in SQL.
SAME = """
select s.id, s.sm is not distinct from t.sm, s.big is not distinct from t.big,
 s.n is not distinct from t.n, s.f::text is not distinct from t.f::text,
 s.d is not distinct from t.d::float8, s.t is not distinct from t.t,
 s.v::text is not distinct from t.v, (s.id = 2 and t.c is null) or t.c = 'ab ',
 s.u is not distinct from t.u, s.b is not distinct from t.b, s.dt is not distinct from t.dt,
 s.tm is not distinct from t.tm::time, s.ts is not distinct from (t.ts at time zone 'UTC'),
 s.tz is not distinct from t.tz, s.iv is not distinct from t.iv::interval,
 s.j::jsonb is not distinct from t.j, s.jb is not distinct from t.jb,
 to_jsonb(s.ints) is not distinct from t.ints, to_jsonb(s.texts) is not distinct from t.texts,
 s.by is not distinct from decode(t.by, 'base64'), s.m::text is not distinct from t.m,
 s.p is not distinct from t.p
from public.every_type s join copy.every_type t using (id) order by id
"""


def _pipe(tap_config: dict, target: Path, target_config: dict, tmp_path: Path) -> None:
    (tmp_path / "tap.json").write_text(json.dumps(tap_config))
    (tmp_path / "target.json").write_text(json.dumps(target_config))
    tap = subprocess.Popen(
        [str(TAP), "--config", str(tmp_path / "tap.json")], stdout=subprocess.PIPE
    )
    done = subprocess.run(
        [str(target), "--config", str(tmp_path / "target.json")],
        stdin=tap.stdout,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert tap.wait(60) == 0
    assert done.returncode == 0, done.stderr.decode()


@pytest.mark.parametrize("batch", [False, True], ids=["records", "csv-batches"])
def test_every_type_round_trips_into_target_postgres(source, tmp_path, batch):
    source.execute(EVERY_TYPE)
    tap_config = source.config(tables=["public.every_type"])
    if batch:
        tap_config["batch_config"] = {
            "encoding": {"format": "csv"},
            "storage": {"root": str(tmp_path / "batches")},
            "batch_size": 1,
        }
    target_config = {"sqlalchemy_url": source.url, "default_target_schema": "copy"}
    _pipe(tap_config, TARGET_POSTGRES, target_config, tmp_path)
    rows = source.query(SAME)
    assert [row[0] for row in rows] == [1, 2]
    for row in rows:
        assert all(row[1:]), (
            f"row {row[0]}: columns differ at positions {[i for i, ok in enumerate(row[1:]) if not ok]}"
        )


def test_every_type_round_trips_into_target_files(source, sync, tmp_path):
    source.execute(EVERY_TYPE)
    tap_config = source.config(tables=["public.every_type"])
    expected = sync(tap_config).records()
    _pipe(tap_config, TARGET_FILES, {"path": str(tmp_path / "lake"), "format": "jsonl"}, tmp_path)
    store = LocalStore(tmp_path / "lake")
    [key] = data_keys(store)
    assert read_records(store, key) == expected
