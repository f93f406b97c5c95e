"""MeltanoLabs' dates_as_string, json_as_object and use_singer_decimal: how values are typed
and written, on the RECORD path and in csv BATCH files alike."""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import urlsplit

from tests.fixtures.taps import csv_batch_config

DATES = """
create table dates (id int primary key, d date, ts timestamp, tz timestamptz, ds date[], t time);
insert into dates values
 (1, '2026-03-01', '2026-03-01 10:00:00.5', '2026-03-01 10:00:00.123456+02', '{2026-03-01,infinity}', '10:00'),
 (2, 'infinity', '-infinity', '10000-01-01 00:00:00+00', null, null),
 (3, '0044-03-15 BC', '0044-03-15 12:00:00 BC', null, '{}', null);
"""
NUMBERS = """
create table numbers (id int primary key, n numeric(30, 21), f real, d double precision, ns numeric[]);
insert into numbers values
 (1, 123456789.000000000000000000001, 0.1, 1e300, '{1.10,NULL}'),
 (2, 'NaN', 'Infinity', null, null);
"""


def csv_rows(run) -> list[dict[str, str]]:
    (message,) = [m for m in run.messages if m["type"] == "BATCH"]
    with Path(urlsplit(message["manifest"][0]).path).open(newline="") as rows:
        return list(csv.DictReader(rows))


def test_dates_as_string_types_dates_as_plain_strings_of_postgres_text(source, sync):
    source.execute(DATES)

    run = sync(source.config(dates_as_string=True))

    properties = run.schema("public-dates")["properties"]
    assert properties["d"] == {"type": ["string", "null"]}
    assert properties["ts"] == {"type": ["string", "null"]}
    assert properties["tz"] == {"type": ["string", "null"]}
    assert properties["ds"] == {"type": ["array", "null"], "items": {"type": ["string", "null"]}}
    assert properties["t"]["format"] == "time"  # time is not a date: unchanged
    first, second, third = run.records()
    assert first["tz"] == "2026-03-01 08:00:00.123456+00"
    assert first["ts"] == "2026-03-01 10:00:00.5"
    assert first["ds"] == ["2026-03-01", "infinity"]
    assert (second["d"], second["ts"], second["tz"]) == (
        "infinity",
        "-infinity",
        "10000-01-01 00:00:00+00",
    )
    assert (third["d"], third["ts"]) == ("0044-03-15 BC", "0044-03-15 12:00:00 BC")


def test_without_dates_as_string_dates_keep_their_formats(source, sync):
    source.execute(DATES)

    properties = sync(source.config()).schema("public-dates")["properties"]

    assert properties["d"]["format"] == "date"
    assert properties["tz"]["format"] == "date-time"


def test_dates_as_string_writes_the_same_text_to_csv_files(source, sync, tmp_path):
    source.execute(DATES)

    run = sync(source.config(dates_as_string=True, **csv_batch_config(str(tmp_path))))

    rows = csv_rows(run)
    assert rows[0]["tz"] == "2026-03-01 08:00:00.123456+00"
    assert rows[0]["ds"] == '["2026-03-01","infinity"]'
    assert rows[2]["d"] == "0044-03-15 BC"


def test_json_as_object_types_json_columns_as_objects(source, sync):
    source.execute(
        "create table docs (id int primary key, j json, jb jsonb not null);"
        """insert into docs values (1, '{"a": [1, 2.50]}', '{"b": {"c": null}}')"""
    )

    run = sync(source.config(json_as_object=True))

    properties = run.schema("public-docs")["properties"]
    assert properties["j"] == {"type": ["object", "null"], "additionalProperties": True}
    assert properties["jb"] == {"type": ["object"], "additionalProperties": True}
    assert run.records()[0]["j"]["a"][1] == 2.5
    assert run.records()[0]["jb"] == {"b": {"c": None}}


def test_without_json_as_object_json_columns_take_any_value(source, sync):
    source.execute("create table docs (id int primary key, j json)")

    assert sync(source.config()).schema("public-docs")["properties"]["j"] == {}


def test_use_singer_decimal_sends_numbers_as_their_exact_text(source, sync):
    source.execute(NUMBERS)

    run = sync(source.config(use_singer_decimal=True))

    properties = run.schema("public-numbers")["properties"]
    assert properties["n"] == {
        "type": ["string", "null"],
        "format": "x-singer.decimal",
        "x-sql-datatype": "numeric(30,21)",
    }
    assert properties["f"] == {"type": ["string", "null"], "format": "x-singer.decimal"}
    assert properties["ns"]["items"]["format"] == "x-singer.decimal"
    assert properties["id"]["type"] == ["integer"]  # integers stay integers
    first, second = run.records()
    assert first["n"] == "123456789.000000000000000000001"
    assert (first["f"], first["d"]) == ("0.1", "1e+300")
    assert first["ns"] == ["1.10", None]
    assert (second["n"], second["f"]) == (None, None)  # NaN and infinities are null, as ever


def test_use_singer_decimal_writes_the_same_text_to_csv_files(source, sync, tmp_path):
    source.execute(NUMBERS)

    run = sync(source.config(use_singer_decimal=True, **csv_batch_config(str(tmp_path))))

    first, second = csv_rows(run)
    assert (first["n"], first["f"], first["ns"]) == (
        "123456789.000000000000000000001",
        "0.1",
        '["1.10",null]',
    )
    assert second["n"] == ""
