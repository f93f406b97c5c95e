"""csv BATCH files: COPY'd as they are, by the stream's load mode, errors naming file and line."""

from __future__ import annotations

import gzip
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from elt.errors import ProtocolError

Load = Callable[..., Any]
Cli = Callable[..., Any]

ITEMS = {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}}


@pytest.fixture
def csv_file(tmp_path: Path) -> Callable[..., Path]:
    """``csv_file(text, name=)``: a csv BATCH file (gzipped when the name ends in .gz)."""
    count = 0

    def write(text: str, name: str | None = None) -> Path:
        nonlocal count
        count += 1
        path = tmp_path / (name or f"batch-{count}.csv")
        data = text.encode("utf-8")
        path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
        return path

    return write


def batch(stream: str, *files: Path, compression: str = "none", **extra: Any) -> dict[str, Any]:
    return {
        "type": "BATCH",
        "stream": stream,
        "encoding": {"format": "csv", "compression": compression},
        "manifest": [f.as_uri() for f in files],
        **extra,
    }


def test_every_type_loads_exactly_and_null_differs_from_the_empty_string(
    load: Load, db: Any, m: Any, csv_file: Callable[..., Path]
) -> None:
    properties = {
        "id": {"type": "integer"},
        "amount": {"type": ["number", "null"]},
        "ok": {"type": ["boolean", "null"]},
        "at": {"type": ["string", "null"], "format": "date-time"},
        "day": {"type": ["string", "null"], "format": "date"},
        "text": {"type": ["string", "null"]},
        "doc": {"type": ["object", "null"]},
    }
    path = csv_file(
        "id,amount,ok,at,day,text,doc\n"
        '1,12345678901234567890.123456789012345678,true,2026-01-01T10:00:00Z,2026-02-28,"a, ""b""\n'
        'c","{""k"": [1, 2]}"\n'
        '2,-1e-7,false,2026-01-01 10:00:00+02:00,,"",\n'
        "3,,,,,,\n"
        "4,0,true,2026-01-01T10:00:00.123456Z,2024-02-29,Zürich 東京 🙂,[]\n"
    )
    loaded = load([m.schema("t", properties), batch("t", path), m.state({"done": 1})])

    assert loaded.states == [{"done": 1}]
    assert db.rows("SELECT id, amount, ok, at, day, text, doc FROM t ORDER BY id") == [
        (
            1,
            Decimal("12345678901234567890.123456789012345678"),
            True,
            datetime(2026, 1, 1, 10, tzinfo=UTC),
            datetime(2026, 2, 28).date(),
            'a, "b"\nc',
            {"k": [1, 2]},
        ),
        (2, Decimal("-1E-7"), False, datetime(2026, 1, 1, 8, tzinfo=UTC), None, "", None),
        (3, None, None, None, None, None, None),
        (
            4,
            Decimal(0),
            True,
            datetime(2026, 1, 1, 10, 0, 0, 123456, tzinfo=UTC),
            datetime(2024, 2, 29).date(),
            "Zürich 東京 🙂",
            [],
        ),
    ]


def test_columns_come_from_the_header_in_its_order_and_missing_ones_are_null(
    load: Load, db: Any, m: Any, csv_file: Callable[..., Path]
) -> None:
    properties = {**ITEMS, 'say "hi", you': {"type": ["string", "null"]}}
    path = csv_file('"say ""hi"", you",id\nhello,1\n')
    load([m.schema("t", properties), batch("t", path)])

    assert db.rows('SELECT id, name, "say ""hi"", you" FROM t') == [(1, None, "hello")]


def test_gzip_files_and_several_files_per_message_load_in_order(
    load: Load, db: Any, m: Any, csv_file: Callable[..., Path]
) -> None:
    first = csv_file("id,name\n1,a\n2,b\n", "a.csv.gz")
    second = csv_file("id,name\n1,c\n", "b.csv.gz")
    load([m.schema("t", ITEMS), batch("t", first, second, compression="gzip")])

    assert db.rows("SELECT id, name FROM t ORDER BY id") == [(1, "c"), (2, "b")]


def test_upsert_across_runs_and_within_a_file_keeps_the_last_row_of_each_key(
    load: Load, db: Any, m: Any, csv_file: Callable[..., Path]
) -> None:
    load([m.schema("t", ITEMS), batch("t", csv_file("id,name\n1,a\n2,b\n"))])
    load([m.schema("t", ITEMS), batch("t", csv_file("id,name\n2,B\n3,c\n3,C\n"))])

    assert db.rows("SELECT id, name FROM t ORDER BY id") == [(1, "a"), (2, "B"), (3, "C")]


def test_records_before_a_batch_are_loaded_before_its_rows(
    load: Load, db: Any, m: Any, csv_file: Callable[..., Path]
) -> None:
    path = csv_file("id,name\n1,from the file\n")
    load([m.schema("t", ITEMS), m.record("t", {"id": 1, "name": "record"}), batch("t", path)])

    assert db.rows("SELECT id, name FROM t") == [(1, "from the file")]


def test_append_only_copies_every_row(
    load: Load, db: Any, m: Any, csv_file: Callable[..., Path]
) -> None:
    path = csv_file("id,name\n1,a\n1,b\n")
    load([m.schema("t", ITEMS), batch("t", path), batch("t", path)], load_method="append-only")

    assert db.rows("SELECT count(*) FROM t") == [(4,)]


def test_record_metadata_and_the_batch_version_fill_their_columns(
    load: Load, db: Any, m: Any, csv_file: Callable[..., Path]
) -> None:
    load([m.schema("t", ITEMS), m.record("t", {"id": 1, "name": "old"})])
    path = csv_file("id,name\n2,b\n3,c\n")
    load(
        [m.schema("t", ITEMS), batch("t", path, version=7), m.activate("t", 7)],
        add_record_metadata=True,
    )

    rows = db.rows(
        "SELECT id, _sdc_table_version, _sdc_deleted_at IS NOT NULL, _sdc_batched_at IS NOT NULL,"
        " _sdc_sequence, _sdc_sync_started_at IS NOT NULL FROM t ORDER BY id"
    )
    assert [row[:4] for row in rows] == [
        (1, None, True, False),
        (2, 7, False, True),
        (3, 7, False, True),
    ]
    assert rows[1][4] < rows[2][4]
    assert all(row[5] for row in rows[1:])


def test_a_state_after_a_batch_is_written_once_its_rows_are_committed(
    load: Load, db: Any, m: Any, csv_file: Callable[..., Path]
) -> None:
    loaded = load(
        [
            m.schema("t", ITEMS),
            batch("t", csv_file("id,name\n1,a\n2,b\n")),
            m.state({"at": 1}),
            batch("t", csv_file("id,name\n3,c\n")),
            m.state({"at": 2}),
        ],
        batch_size_rows=2,
    )

    assert loaded.states == [{"at": 1}, {"at": 2}]
    assert db.rows("SELECT count(*) FROM t") == [(3,)]


def test_files_are_deleted_after_their_commit_only_when_asked(
    load: Load, m: Any, csv_file: Callable[..., Path]
) -> None:
    kept, deleted = csv_file("id,name\n1,a\n"), csv_file("id,name\n2,b\n")
    load([m.schema("t", ITEMS), batch("t", kept)])
    load([m.schema("t", ITEMS), batch("t", deleted)], delete_batch_files=True)

    assert kept.exists()
    assert not deleted.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id,nickname\n1,x\n", ("SCHEMA does not declare", ", stream 't', property 'nickname'")),
        ("name\nx\n", ("lacks this key property", ", stream 't', property 'id'")),
        ("", ("no header row", "")),
        ("id,id\n1,1\n", ("names 'id' twice", "")),
    ],
)
def test_a_header_that_does_not_fit_the_schema_names_the_file(
    load: Load, m: Any, csv_file: Callable[..., Path], text: str, expected: tuple[str, str]
) -> None:
    message, where = expected
    path = csv_file(text)
    with pytest.raises(ProtocolError, match=message) as raised:
        load([m.schema("t", ITEMS), batch("t", path)])
    assert raised.value.where == f"{path} line 1{where}"


def test_a_batch_before_its_schema_is_a_protocol_error(
    load: Load, m: Any, csv_file: Callable[..., Path]
) -> None:
    with pytest.raises(ProtocolError, match="before the stream's SCHEMA") as raised:
        load([batch("t", csv_file("id\n1\n"))])
    assert raised.value.where == "<input> line 1, stream 't'"


def test_a_bad_value_names_file_line_and_property_and_commits_nothing_of_the_batch(
    cli: Cli, db: Any, m: Any, csv_file: Callable[..., Path]
) -> None:
    good = csv_file("id,name\n1,a\n")
    bad = csv_file('id,name\n2,b\n3,"two\nlines"\nfour,d\n')
    run = cli(
        [
            m.schema("t", ITEMS),
            batch("t", good),
            m.state({"at": 1}),
            batch("t", bad),
            m.state({"at": 2}),
        ]
    )

    assert run.code == 65
    assert f"{bad} line 5, stream 't', property 'id'" in run.stderr
    assert 'invalid input syntax for type bigint: "four"' in run.stderr
    assert "Traceback" not in run.stderr
    assert run.states == []
    assert db.tables() == []


def test_a_row_with_the_wrong_number_of_fields_names_the_line_where_it_starts(
    cli: Cli, db: Any, m: Any, csv_file: Callable[..., Path]
) -> None:
    db.execute("CREATE TABLE t (id bigint PRIMARY KEY, name text)")
    bad = csv_file('id,name\n1,a\n2,"multi\nline",extra\n3,c\n')
    run = cli([m.schema("t", ITEMS), batch("t", bad), m.state({"at": 1})])

    assert run.code == 65
    assert f"{bad} line 3, stream 't'" in run.stderr
    assert "extra data after last expected column" in run.stderr
    assert run.states == []
    assert db.rows("SELECT count(*) FROM t") == [(0,)]


def test_a_file_url_that_is_not_local_is_refused(cli: Cli, db: Any, m: Any) -> None:
    message = batch("t")
    message["manifest"] = ["s3://bucket/batches/t-1.csv"]
    run = cli([m.schema("t", ITEMS), message, m.state({"at": 1})])

    assert run.code == 65
    assert "'s3://bucket/batches/t-1.csv', which is not a local file" in run.stderr
    assert run.states == []


def test_a_missing_file_is_refused_and_files_of_a_failed_batch_are_kept(
    cli: Cli, db: Any, m: Any, csv_file: Callable[..., Path], tmp_path: Path
) -> None:
    good = csv_file("id,name\n1,a\n")
    run = cli(
        [m.schema("t", ITEMS), batch("t", good, tmp_path / "gone.csv"), m.state({"at": 1})],
        delete_batch_files=True,
    )

    assert run.code == 65
    assert "gone.csv for stream 't' does not exist" in run.stderr
    assert good.exists()
    assert run.states == []


def test_an_unknown_format_is_refused(load: Load, m: Any) -> None:
    message = batch("t")
    message["encoding"]["format"] = "parquet"
    with pytest.raises(ProtocolError, match="jsonl and csv"):
        load([m.schema("t", ITEMS), message])


def test_versioned_files_copy_straight_in_and_the_version_default_is_gone_after(
    load: Load, db: Any, m: Any, csv_file: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    first = csv_file("id,name\n1,a\n2,b\n")
    load([m.schema("t", ITEMS), batch("t", first, version=7), m.activate("t", 7)])
    assert db.rows("SELECT id, name, _sdc_table_version FROM t ORDER BY id") == [
        (1, "a", 7),
        (2, "b", 7),
    ]
    # the next version repeats key 2 (a unique violation: staged merge) and adds key 3
    second = csv_file("id,name\n2,B\n3,c\n")
    with caplog.at_level(logging.INFO, logger="target_postgres"):
        load([m.schema("t", ITEMS), batch("t", second, version=8), m.activate("t", 8)])
    assert "upserting through a staging table" in caplog.text  # the direct COPY came first
    assert db.rows(
        "SELECT id, name, _sdc_table_version, _sdc_deleted_at IS NOT NULL FROM t ORDER BY id"
    ) == [(1, "a", 7, True), (2, "B", 8, False), (3, "c", 8, False)]
    assert db.rows(
        "SELECT column_default FROM information_schema.columns "
        "WHERE table_name = 't' AND column_name = '_sdc_table_version'"
    ) == [(None,)]


def test_committed_rows_of_csv_files_are_reported_per_commit(
    cli: Cli, db: Any, m: Any, csv_file: Callable[..., Path], committed: Any
) -> None:
    run = cli(
        [
            m.schema("t", ITEMS),
            batch("t", csv_file("id,name\n1,a\n2,b\n"), csv_file("id,name\n3,c\n")),
            m.state({"at": 1}),
            batch("t", csv_file("id,name\n4,d\n")),
            m.state({"at": 2}),
            batch("t", csv_file("id,name\n5,e\nnot a number,f\n")),
            m.state({"at": 3}),
        ],
        max_batch_age_seconds=0,
    )

    assert run.code == 65
    assert committed(run.stderr) == {"t": [3, 1]}  # the failed file's batch reports nothing
    assert db.rows("SELECT count(*) FROM t") == [(4,)]
    assert run.states == [{"at": 1}, {"at": 2}]


def test_a_nested_column_of_a_csv_file_holds_the_json_text_it_carries(
    load: Load, db: Any, m: Any, csv_file: Callable[..., Path]
) -> None:
    """The file carries JSON text (the csv BATCH contract): a JSON string stays a string."""
    nested = {"type": ["object", "array", "null"]}
    path = csv_file('id,v\n1,"""[]"""\n2,[]\n3,5\n4,"{""a"": 1}"\n5,\n')
    load([m.schema("j", {"id": {"type": "integer"}, "v": nested}), batch("j", path)])

    assert db.rows("SELECT v::text, jsonb_typeof(v) FROM j ORDER BY id") == [
        ('"[]"', "string"),
        ("[]", "array"),
        ("5", "number"),
        ('{"a": 1}', "object"),
        (None, None),
    ]
