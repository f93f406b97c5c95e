"""MeltanoLabs' settings that decide what a stream reads: max_record_count, stream_options'
custom_where_clauses, default_replication_method — and LOG_BASED, refused."""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.fixtures.taps import csv_batch_config

ORDERS = """
create table orders (id bigint primary key, amount numeric(10, 2), note text);
insert into orders select i, i * 1.5, 'n' || i from generate_series(1, 250) i;
"""


def selected(catalog: dict, stream: str, **metadata: object) -> dict:
    """The catalog with ``stream`` alone, selected, with extra top-level ``metadata``."""
    catalog["streams"] = [s for s in catalog["streams"] if s["tap_stream_id"] == stream]
    for entry in catalog["streams"][0]["metadata"]:
        if entry["breadcrumb"] == []:
            entry["metadata"].update({"selected": True, **metadata})
    return catalog


def ids(run) -> list[int]:
    return [r["id"] for r in run.records()]


def batch_ids(run) -> list[list[int]]:
    """The ids of each csv BATCH file, in message order."""
    files = [Path(urlsplit(m["manifest"][0]).path) for m in run.messages if m["type"] == "BATCH"]
    result = []
    for path in files:
        with path.open(newline="") as rows:
            result.append([int(row["id"]) for row in csv.DictReader(rows)])
    return result


# --- max_record_count ----------------------------------------------------------------------


def test_max_record_count_cuts_a_snapshot_that_the_next_runs_continue(source, sync):
    source.execute(ORDERS)
    config = source.config(max_record_count=100, chunk_rows=40)

    first = sync(config)
    assert ids(first) == list(range(1, 101))
    assert "ACTIVATE_VERSION" not in first.types()  # it would retire rows 101..250
    snapshot = first.state["bookmarks"]["public-orders"]["snapshot"]
    assert snapshot["after"] == [100]

    second = sync(config, state=first.state)
    assert ids(second) == list(range(101, 201))
    third = sync(config, state=second.state)
    assert ids(third) == list(range(201, 251))
    versions = {
        m["version"] for run in (first, second, third) for m in run.messages if "version" in m
    }
    assert versions == {snapshot["version"]}
    assert third.types()[-2:] == ["ACTIVATE_VERSION", "STATE"]
    assert third.state == {"bookmarks": {"public-orders": {}}}


def test_max_record_count_equal_to_the_table_completes_the_snapshot(source, sync):
    source.execute(ORDERS)

    run = sync(source.config(max_record_count=250))

    assert ids(run) == list(range(1, 251))
    assert "ACTIVATE_VERSION" in run.types()


def test_max_record_count_bookmarks_an_incremental_stream_at_its_last_row(source, sync, run_tap):
    source.execute(ORDERS)
    catalog = selected(
        run_tap(source.config(), "--discover").messages[0],
        "public-orders",
        **{"forced-replication-method": "INCREMENTAL", "replication-key": "id"},
    )

    run = sync(source.config(max_record_count=30), catalog=catalog)

    assert ids(run) == list(range(1, 31))
    assert run.state["bookmarks"]["public-orders"]["replication_key_value"] == 30


def test_max_record_count_caps_a_table_without_a_primary_key(source, sync):
    source.execute(
        "create table logs (line text); insert into logs select 'l' from generate_series(1, 30)"
    )

    run = sync(source.config(max_record_count=7))

    assert len(run.records()) == 7
    assert "ACTIVATE_VERSION" not in run.types()


def test_max_record_count_sizes_the_csv_files_and_continues_next_run(source, sync, tmp_path):
    source.execute(ORDERS)
    config = source.config(max_record_count=100, **csv_batch_config(str(tmp_path), batch_size=40))

    first = sync(config)
    assert batch_ids(first) == [list(range(1, 41)), list(range(41, 81)), list(range(81, 101))]
    assert "ACTIVATE_VERSION" not in first.types()
    second = sync(config, state=first.state)
    assert [i for f in batch_ids(second) for i in f] == list(range(101, 201))


def test_a_negative_max_record_count_is_refused(source, run_tap):
    run = run_tap(source.config(max_record_count=-1), "--discover")

    assert run.code == 78
    assert "max_record_count: expected a positive integer, got -1" in run.stderr


# --- stream_options.<stream>.custom_where_clauses ------------------------------------------

CLAUSES = ["id < 10 OR id > 240", "orders.id % 2 = 0", "public.orders.note LIKE 'n%'"]
EVEN_ENDS = [2, 4, 6, 8, 242, 244, 246, 248, 250]


def test_custom_where_clauses_are_anded_in_parentheses_on_every_chunk(source, sync):
    source.execute(ORDERS)
    options = {"public-orders": {"custom_where_clauses": CLAUSES}}

    run = sync(source.config(stream_options=options, chunk_rows=3))

    assert ids(run) == EVEN_ENDS
    assert "ACTIVATE_VERSION" in run.types()


def test_custom_where_clauses_apply_to_csv_batch_files(source, sync, tmp_path):
    source.execute(ORDERS)
    options = {"public-orders": {"custom_where_clauses": CLAUSES}}
    config = source.config(stream_options=options, **csv_batch_config(str(tmp_path), batch_size=4))

    run = sync(config)

    assert batch_ids(run) == [EVEN_ENDS[:4], EVEN_ENDS[4:8], EVEN_ENDS[8:]]


def test_custom_where_clauses_of_another_stream_leave_this_one_whole(source, sync):
    source.execute(ORDERS + "create table other (id int primary key); insert into other values (1)")
    options = {"public-other": {"custom_where_clauses": ["id > 1"]}}

    run = sync(source.config(stream_options=options))

    assert len(run.records("public-orders")) == 250
    assert run.records("public-other") == []


def test_stream_options_for_a_stream_the_tap_does_not_have_is_refused(source, run_tap):
    source.execute(ORDERS)
    options = {"public-order": {"custom_where_clauses": ["id > 1"]}}

    run = run_tap(source.config(stream_options=options))

    assert run.code == 78
    assert "stream_options.public-order: there is no stream 'public-order'" in run.stderr
    assert "did you mean 'public-orders'?" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_clause_the_server_refuses_names_the_setting(source, run_tap):
    source.execute(ORDERS)
    options = {"public-orders": {"custom_where_clauses": ["amount >>> 1"]}}

    run = run_tap(source.config(stream_options=options))

    assert run.code == 78
    assert "stream_options.public-orders.custom_where_clauses" in run.stderr
    assert "Traceback" not in run.stderr


# --- default_replication_method and LOG_BASED ----------------------------------------------


def test_default_incremental_applies_to_a_stream_with_a_replication_key(source, sync, run_tap):
    source.execute(ORDERS)
    catalog = selected(
        run_tap(source.config(), "--discover").messages[0],
        "public-orders",
        **{"replication-key": "id"},
    )
    config = source.config(default_replication_method="INCREMENTAL")

    run = sync(config, catalog=catalog)

    assert run.state["bookmarks"]["public-orders"]["replication_key_value"] == 250
    assert "ACTIVATE_VERSION" not in run.types()


def test_default_incremental_without_a_replication_key_is_refused_before_any_record(
    source, run_tap
):
    source.execute(ORDERS)

    run = run_tap(source.config(default_replication_method="INCREMENTAL"))

    assert run.code == 78
    assert "stream 'public-orders' is INCREMENTAL but its replication key None" in run.stderr


def test_default_full_table_is_overridden_by_the_catalog(source, sync, run_tap):
    source.execute(ORDERS)
    catalog = selected(
        run_tap(source.config(), "--discover").messages[0],
        "public-orders",
        **{"forced-replication-method": "INCREMENTAL", "replication-key": "id"},
    )

    run = sync(source.config(default_replication_method="FULL_TABLE"), catalog=catalog)

    assert "ACTIVATE_VERSION" not in run.types()
    assert run.state["bookmarks"]["public-orders"]["replication_key"] == "id"


def test_default_log_based_is_refused_with_what_to_use_instead(source, run_tap):
    run = run_tap(source.config(default_replication_method="LOG_BASED"), "--discover")

    assert run.code == 78
    assert "default_replication_method: LOG_BASED is not supported" in run.stderr
    assert "use INCREMENTAL with a replication-key" in run.stderr


@pytest.mark.parametrize(
    "where", ["replication-method", "forced-replication-method", "replication_method"]
)
def test_a_log_based_stream_in_the_catalog_is_refused_before_anything_is_sent(
    source, run_tap, where
):
    source.execute(ORDERS + "create table first (id int primary key); insert into first values (1)")
    catalog = run_tap(source.config(), "--discover").messages[0]
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = True
                if stream["tap_stream_id"] == "public-orders" and where != "replication_method":
                    entry["metadata"][where] = "LOG_BASED"
        if stream["tap_stream_id"] == "public-orders" and where == "replication_method":
            stream["replication_method"] = "LOG_BASED"

    run = run_tap(source.config(), catalog=catalog)

    assert run.code == 78
    assert "stream 'public-orders' asks for LOG_BASED replication" in run.stderr
    assert "log-based replication (log_based) is not implemented" in run.stderr.lower()
    assert "Traceback" not in run.stderr


def test_the_metadata_replication_method_wins_over_the_entry_s(source, sync, run_tap):
    source.execute(ORDERS)
    catalog = selected(
        run_tap(source.config(), "--discover").messages[0],
        "public-orders",
        **{"replication-method": "INCREMENTAL", "replication-key": "id"},
    )
    catalog["streams"][0]["replication_method"] = "FULL_TABLE"

    run = sync(source.config(), catalog=catalog)

    assert run.state["bookmarks"]["public-orders"]["replication_key_value"] == 250


def test_discovery_pins_no_replication_method(source, run_tap):
    source.execute(ORDERS)

    (stream,) = run_tap(source.config(), "--discover").messages[0]["streams"]

    assert "replication_method" not in stream


def test_meltanolabs_log_based_settings_are_refused_with_what_to_use_instead(source, run_tap):
    config = source.config(
        replication_slot_name="tappostgres",
        replication_max_run_seconds=600,
        replication_idle_exit_seconds=60,
        log_based_single_connection=True,
        auto_bootstrap_log_based=True,
    )

    run = run_tap(config)

    assert run.code == 78
    for name in (
        "replication_slot_name",
        "replication_max_run_seconds",
        "replication_idle_exit_seconds",
        "log_based_single_connection",
        "auto_bootstrap_log_based",
    ):
        assert f"setting {name!r} is not supported: log-based replication" in run.stderr
