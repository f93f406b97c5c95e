"""Key-range partitions (elt-partitions): the plan, reading each partition with the real
executable, and the requests refused. The union of every partition's rows must be what one
whole-table sync sends: no gap, no duplicate."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from tap_postgres.partitions import key_ranges

from tests.fixtures.taps import csv_batch_config

ROWS = 100_000
EVENTS = f"""
create table events (id bigint primary key, seq bigint not null, note text);
insert into events select i, i * 10, 'n' || i from generate_series(1, {ROWS}) i;
"""
STREAM = "public-events"


def _catalog(run_tap, source, key: str | None = None) -> dict:
    """The discovered catalog of the events stream alone, INCREMENTAL on ``key`` if given."""
    catalog = run_tap(source.config(), "--discover").messages[0]
    catalog["streams"] = [s for s in catalog["streams"] if s["tap_stream_id"] == STREAM]
    metadata: dict = {"selected": True}
    if key:
        metadata |= {"replication-method": "INCREMENTAL", "replication-key": key}
    for entry in catalog["streams"][0]["metadata"]:
        if entry["breadcrumb"] == []:
            entry["metadata"].update(metadata)
    return catalog


def _options(**entry: object) -> dict:
    return {"stream_options": {STREAM: entry}}


def _read(run_tap, tmp_path: Path, config: dict, plan: dict, partition: dict, **files):
    """One ``--partition`` run of ``partition`` of the plan, as the coordinator asks it."""
    request = {"stream": STREAM, "partition": partition, "bound": plan["bound"], "version": None}
    path = tmp_path / f"partition-{partition['id']}.json"
    path.write_text(json.dumps(request))
    run = run_tap(config, "--partition", str(path), **files)
    assert run.code == 0, run.stderr
    return run


def _by_id(records: list[dict]) -> dict[int, dict]:
    found: dict[int, dict] = {}
    for record in records:
        assert record["id"] not in found, f"row {record['id']} sent twice"
        found[record["id"]] = record
    return found


def test_every_full_table_partition_together_is_the_whole_table_once(source, run_tap, tmp_path):
    source.execute(EVENTS)
    config = source.config(**_options(partitions=4))
    catalog = _catalog(run_tap, source)

    whole = run_tap(config, catalog=catalog)
    plan = run_tap(config, "--partitions", catalog=catalog).messages[0]["streams"][STREAM]
    runs = [_read(run_tap, tmp_path, config, plan, p, catalog=catalog) for p in plan["partitions"]]

    assert plan["bound"] is None
    assert [p["id"] for p in plan["partitions"]] == [
        "..25000",
        "25000..50000",
        "50000..75000",
        "75000..",
    ]
    union = _by_id([record for run in runs for record in run.records()])
    assert union == _by_id(whole.records())
    assert len(union) == ROWS
    for run in runs:
        assert "ACTIVATE_VERSION" not in run.types()
        assert run.types().count("STATE") == 1
        assert run.state["bookmarks"][STREAM] == {}


def test_every_incremental_partition_reads_up_to_the_bound_and_bookmarks_it(
    source, run_tap, tmp_path
):
    source.execute(EVENTS)
    config = source.config(**_options(partitions=4))
    catalog = _catalog(run_tap, source, key="seq")
    state = {"bookmarks": {STREAM: {"replication_key": "seq", "replication_key_value": 200_000}}}

    whole = run_tap(config, catalog=catalog, state=state)
    plan = run_tap(config, "--partitions", catalog=catalog, state=state).messages[0]["streams"]
    plan = plan[STREAM]
    source.execute(  # after planning: larger keys and replication values
        "insert into events select i, i * 10, 'late' from generate_series(100001, 100010) i;"
        "update events set seq = 5000000 where id = 30000;"
    )
    runs = [
        _read(run_tap, tmp_path, config, plan, p, catalog=catalog, state=state)
        for p in plan["partitions"]
    ]

    assert plan["bound"] == ROWS * 10
    union = _by_id([record for run in runs for record in run.records()])
    assert set(union) == set(_by_id(whole.records())) - {30000}
    assert min(union) == 20_000  # the bookmarked value is read again, as every run does
    assert all(
        run.state["bookmarks"][STREAM]
        == {"replication_key": "seq", "replication_key_value": ROWS * 10}
        for run in runs
    )
    later = run_tap(config, catalog=catalog, state=runs[-1].state)
    assert sorted(r["id"] for r in later.records()) == [30000, *range(ROWS, 100_011)]


def test_rows_inserted_after_planning_beyond_the_largest_key_are_read_by_the_last_partition(
    source, run_tap, tmp_path
):
    source.execute(EVENTS)
    config = source.config(**_options(partitions=4))
    plan = run_tap(config, "--partitions").messages[0]["streams"][STREAM]
    source.execute("insert into events values (500000, 1, 'late');")

    last = _read(run_tap, tmp_path, config, plan, plan["partitions"][-1])

    assert [r["id"] for r in last.records()][-2:] == [ROWS, 500_000]


def test_a_partition_read_writes_csv_batch_files_of_its_range_only(source, run_tap, tmp_path):
    source.execute(EVENTS)
    config = source.config(
        **_options(partitions=4), **csv_batch_config(str(tmp_path / "batches"), batch_size=10_000)
    )
    plan = run_tap(config, "--partitions").messages[0]["streams"][STREAM]

    run = _read(run_tap, tmp_path, config, plan, plan["partitions"][1], catalog=None)

    ids = []
    for message in run.messages:
        if message["type"] == "BATCH":
            with Path(urlsplit(message["manifest"][0]).path).open(newline="") as rows:
                ids.extend(int(row["id"]) for row in csv.DictReader(rows))
    assert ids == list(range(25_001, 50_001))
    assert run.types()[-1] == "STATE"
    assert "ACTIVATE_VERSION" not in run.types()


def test_partition_rows_sets_how_many_ranges_the_plan_has(source, run_tap):
    source.execute(EVENTS)

    plan = run_tap(source.config(**_options(partition_rows=30_000)), "--partitions")

    partitions = plan.messages[0]["streams"][STREAM]["partitions"]
    assert len(partitions) == 4
    assert all(p["rows"] > 0 for p in partitions)


def test_streams_that_cannot_be_cut_are_left_out_of_the_plan(source, run_tap):
    source.execute(
        EVENTS + "create table named (name text primary key);"
        "create table plain (id bigint primary key); insert into plain values (1);"
    )
    options = {
        "stream_options": {
            STREAM: {"partitions": 2},
            "public-named": {"partitions": 2},  # text key
        }
    }  # public-plain: no partitions setting

    plan = run_tap(source.config(**options), "--partitions")

    assert plan.code == 0, plan.stderr
    assert list(plan.messages[0]["streams"]) == [STREAM]


def test_a_capped_run_is_not_partitioned(source, run_tap):
    source.execute(EVENTS)

    plan = run_tap(source.config(max_record_count=10, **_options(partitions=2)), "--partitions")

    assert plan.messages[0] == {"streams": {}}


@pytest.mark.parametrize(
    "case",
    [
        ('{"stream": "public-events",', "", "not valid JSON at line"),
        ('{"partition": {"id": "..25000"}}', "'stream'", "non-empty string"),
        ('{"stream": "public-nope", "partition": {"id": "a"}}', "'stream'", "catalog selects"),
        ('{"stream": "public-events", "partition": {}}', "'partition.id'", "partition's id"),
        (
            '{"stream": "public-events", "partition": {"id": "..9", "key": "id", "after": null,'
            ' "upto": 10}}',
            "'partition.id'",
            "the plan names it '..10'",
        ),
        (
            '{"stream": "public-events", "partition": {"id": "a..", "key": "id", "after": "a",'
            ' "upto": null}}',
            "'partition.after'",
            "integer key value",
        ),
        (
            '{"stream": "public-events", "partition": {"id": "..10", "key": "seq", "after": null,'
            ' "upto": 10}}',
            "'partition.key'",
            "primary key is 'id'",
        ),
        (
            '{"stream": "public-events", "partition": {"id": "..10", "key": "id", "after": null,'
            ' "upto": 10}, "bound": 5}',
            "'bound'",
            "null bound",
        ),
        ('{"stream": "public-events", "partition": {"id": "x"}, "extra": 1}', "'extra'", "no such"),
    ],
)
def test_a_bad_partition_file_is_refused_naming_the_file_and_field(source, run_tap, tmp_path, case):
    request_text, field, says = case
    source.execute(EVENTS)
    path = tmp_path / "bad-request.json"
    path.write_text(request_text)

    run = run_tap(source.config(**_options(partitions=2)), "--partition", str(path))

    assert run.code == 78
    assert f"{path}{' field ' + field if field else ''}: " in run.stderr
    assert says in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("entry", "where"),
    [
        ({"partitions": 0}, "stream_options.public-events.partitions"),
        ({"partition_rows": "many"}, "['stream_options']['public-events']['partition_rows']"),
        ({"partitions": 2, "partition_rows": 10}, "stream_options.public-events.partition_rows"),
    ],
)
def test_a_bad_partition_setting_is_refused(source, run_tap, entry, where):
    source.execute(EVENTS)

    run = run_tap(source.config(**_options(**entry)), "--partitions")

    assert run.code == 78
    assert where in run.stderr


def test_about_lists_the_partitions_capability(run_tap):
    about = run_tap({}, "--about", "--format", "json")

    assert "elt-partitions" in about.messages[0]["capabilities"]


@pytest.mark.parametrize(("low", "high", "count"), [(1, 100_000, 4), (-5, 7, 5), (3, 4, 8)])
def test_key_ranges_cover_every_key_exactly_once(low, high, count):
    ranges = key_ranges(low, high, count)

    def owners(key: int) -> int:
        return sum(
            (after is None or key > after) and (upto is None or key <= upto)
            for after, upto in ranges
        )

    assert ranges[0][0] is None
    assert ranges[-1][1] is None
    assert all(owners(key) == 1 for key in range(low - 3, high + 3))
    assert len(ranges) == min(count, high - low + 1)
