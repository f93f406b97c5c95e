"""Scale-out end to end: ``elt run --executor tcp://…`` on real ``dask scheduler`` and
``dask worker`` processes (tests/fixtures/dask.py), as a user runs it.

Every split run here is compared with the same pipelines run locally as one pipe (the
module's ``reference`` project): the same rows in target-postgres's tables and in
target-files's files (read through their manifests), and the same state. The sources are a
tap-csv project (a single-file stream and a stream of four files) and a tap-postgres
database: ``public-big``, 1,000,000 rows in four key-range partitions, incremental;
``public-heap``, without a primary key (target-postgres appends it), incremental, one unit;
``public-plain``, full table in two partitions (an ACTIVATE_VERSION after both committed).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
from psycopg import sql

from tests.fixtures.cli import run_elt
from tests.fixtures.dask import ClusterFactory, DaskCluster, DaskWorker
from tests.fixtures.services import fresh_database

BIG_ROWS = 1_000_000
HEAP_ROWS = 300_000
PLAIN_ROWS = 1_000
CSV_ROWS = 100  # of the single-file stream; each of the four event files has half as many
EVENT_FILES = 4
ROWS = {
    "orders": CSV_ROWS,
    "events": EVENT_FILES * CSV_ROWS // 2,
    "big": BIG_ROWS,
    "heap": HEAP_ROWS,
    "plain": PLAIN_ROWS,
}
CSV_TABLES = ("orders", "events")
PG_TABLES = ("big", "heap", "plain")
PIPELINES = (
    ("tap-csv", "target-postgres"),
    ("tap-postgres", "target-postgres"),
    ("tap-csv", "target-files"),
    ("tap-postgres", "target-files"),
)
UNIT_TIMEOUT = 180.0
TABLE_VERSION = "_sdc_table_version"


@dataclass(frozen=True)
class Databases:
    source: str  # tap-postgres reads it
    target: str  # target-postgres loads each project into its own schema


@dataclass(frozen=True)
class Reference:
    """The pipelines run locally, as one pipe each: what a split run must equal."""

    project: Path
    schema: str
    states: Mapping[tuple[str, str], dict[str, Any]]


@pytest.fixture(scope="module", autouse=True)
def about_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A cache of the plugins' ``--about`` answers for this module's elt processes and
    clusters (started after it): the user's is keyed by executable, which an editable
    install does not touch when a plugin gains a capability (``elt-units``)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ELT_CACHE_DIR", str(tmp_path_factory.mktemp("elt-cache")))
        yield


@pytest.fixture(scope="module")
def databases(pg_url: str) -> Iterator[Databases]:
    with fresh_database(pg_url) as source, fresh_database(pg_url) as target:
        fill_source(source)
        yield Databases(source, target)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, databases: Databases) -> Reference:
    project = make_project(tmp_path_factory.mktemp("reference") / "p", databases, "reference")
    with ThreadPoolExecutor(len(PIPELINES)) as pool:
        runs = pool.map(lambda blocks: run_elt(project, "run", *blocks), PIPELINES)
        for done in runs:
            assert done.returncode == 0, done.stderr
    states = {(tap, target): state(project, tap, target) for tap, target in PIPELINES}
    return Reference(project, "reference", states)


def fill_source(url: str) -> None:
    """The tap-postgres tables, made by the server itself (generate_series): seconds for 1M rows."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "create table big (id bigint primary key, name text, updated_at timestamptz not null);"
            "create table heap (n integer, name text, updated_at timestamptz not null);"
            "create table plain (id integer primary key, name text)"
        )
        conn.execute(
            "insert into big select i, 'big ' || i, "
            "timestamptz '2026-01-01' + i * interval '1 second' from generate_series(1, %s) i",
            (BIG_ROWS,),
        )
        conn.execute(  # rows share values and replication keys: an append must keep each
            "insert into heap select i %% 1000, 'heap ' || (i %% 5000), "
            "timestamptz '2026-01-01' + (i / 10) * interval '1 second' "
            "from generate_series(1, %s) i",
            (HEAP_ROWS,),
        )
        conn.execute(
            "insert into plain select i, 'plain ' || i from generate_series(1, %s) i",
            (PLAIN_ROWS,),
        )
        conn.execute("analyze")


def make_project(root: Path, databases: Databases, schema: str, extra: str = "") -> Path:
    """The same plugins.yml and CSV files in every project but for the target schema (the
    lake is the project's own ``lake`` folder, relative: units run in the project folder)."""
    root.mkdir(parents=True)
    (root / "plugins.yml").write_text(
        f"""version: 1
plugins:
  taps:
    - name: tap-csv
      config:
        infer_sample_rows: 5
        files:
          - {{entity: orders, path: data/orders.csv, keys: [id], replication_key: updated_at}}
          - {{entity: events, path: data/events/*.csv, replication_key: updated_at}}
    - name: tap-postgres
      config:
        sqlalchemy_url: "{databases.source}"
        tables: [public.big, public.heap, public.plain]
        stream_options:
          public-big: {{partitions: 4}}
          public-plain: {{partitions: 2}}
      metadata:
        public-big: {{replication-method: INCREMENTAL, replication-key: updated_at}}
        public-heap: {{replication-method: INCREMENTAL, replication-key: updated_at}}
        public-plain: {{replication-method: FULL_TABLE}}
  targets:
    - name: target-postgres
      config:
        sqlalchemy_url: "{databases.target}"
        default_target_schema: {schema}
    - name: target-files
      config: {{path: lake}}
{extra}"""
    )
    (root / "data" / "events").mkdir(parents=True)
    write_csv(root / "data" / "orders.csv", range(1, CSV_ROWS + 1), day=1)
    for part in range(EVENT_FILES):
        write_csv(event_file(root, part), event_ids(part), day=part + 3)
    return root


def event_file(project: Path, part: int) -> Path:
    return project / "data" / "events" / f"part-{part}.csv"


def event_ids(part: int) -> range:
    size = CSV_ROWS // 2
    return range(part * size + 1, (part + 1) * size + 1)


def write_csv(path: Path, ids: range, day: int, extra_line: str = "") -> None:
    """A CSV file with the same bytes and modification time in every project (tap-csv
    bookmarks a file's mtime)."""
    rows = "".join(
        f"{i},{path.stem} {i},2026-01-{day:02d}T00:{i // 60:02d}:{i % 60:02d}Z\n" for i in ids
    )
    path.write_text("id,name,updated_at\n" + rows + extra_line, encoding="utf-8")
    stamp = 1_767_225_600_000_000_000 + ids.stop * 1_000_000_000 + day
    os.utime(path, ns=(stamp, stamp))


def state(project: Path, tap: str, target: str) -> dict[str, Any]:
    done = run_elt(project, "state", "get", f"default:{tap}-to-{target}")
    assert done.returncode == 0, done.stderr
    loaded: dict[str, Any] = json.loads(done.stdout)
    return loaded


def split_run(project: Path, address: str, tap: str, target: str, **env: str) -> dict[str, Any]:
    """``elt run TAP TARGET --executor ADDRESS --json``, which must succeed: its result."""
    done = run_elt(project, "run", tap, target, "--executor", address, "--json", env=env)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def counts(url: str, schema: str, tables: tuple[str, ...]) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {
            table: conn.execute(
                sql.SQL("select count(*) from {}").format(sql.Identifier(schema, table))
            ).fetchall()[0][0]
            for table in tables
        }


def differing_rows(
    url: str, schema: str, reference: str, tables: tuple[str, ...]
) -> dict[str, int]:
    """Per table, the rows one schema has more often than the other (0: the same multiset),
    in the reference's columns but the table version (each run's own)."""
    differing = {}
    with psycopg.connect(url) as conn:
        for table in tables:
            columns = [
                name
                for (name,) in conn.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = %s and table_name = %s order by ordinal_position",
                    (reference, table),
                )
                if name != TABLE_VERSION
            ]
            assert columns, f"{reference}.{table} has no columns"
            listed = sql.SQL(", ").join(map(sql.Identifier, columns))
            mine, theirs = sql.Identifier(schema, table), sql.Identifier(reference, table)
            query = sql.SQL(
                "select count(*) from ((select {c} from {a} except all select {c} from {b}) "
                "union all (select {c} from {b} except all select {c} from {a})) d"
            ).format(c=listed, a=mine, b=theirs)
            differing[table] = conn.execute(query).fetchall()[0][0]
    return differing


def assert_same_tables(url: str, schema: str, reference: str, tables: tuple[str, ...]) -> None:
    assert counts(url, schema, tables) == {t: ROWS[t] for t in tables}
    assert differing_rows(url, schema, reference, tables) == dict.fromkeys(tables, 0)
    if "plain" in tables:  # the full-table stream: its rows are of one version, activated
        with psycopg.connect(url) as conn:
            query = sql.SQL(
                "select count(distinct {v}), count(*) filter (where {d} is not null) from {t}"
            ).format(
                v=sql.Identifier(TABLE_VERSION),
                d=sql.Identifier("_sdc_deleted_at"),
                t=sql.Identifier(schema, "plain"),
            )
            assert conn.execute(query).fetchall() == [(1, 0)]


def lake_rows(lake: Path) -> dict[str, tuple[int, str]]:
    """Per stream, its rows in the files the lake's manifests list, as (count, digest of the
    multiset): a run manifest's files and those of each unit manifest it lists."""
    files: list[dict[str, Any]] = []
    for path in sorted((lake / "_manifests").glob("*.json")):
        manifest = orjson.loads(path.read_bytes())
        assert manifest["status"] == "complete", path
        files += manifest["files"]
        for unit in manifest.get("units") or ():
            unit_manifest = orjson.loads((lake / unit["manifest"]).read_bytes())
            assert unit_manifest["status"] == "complete", unit
            files += unit_manifest["files"]
    found: dict[str, tuple[int, int]] = {}
    for entry in files:
        count, total = found.get(entry["stream"], (0, 0))
        for line in gzip.decompress((lake / entry["key"]).read_bytes()).splitlines():
            row = orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS)
            digest = int.from_bytes(hashlib.blake2b(row, digest_size=16).digest())
            count, total = count + 1, (total + digest) % 2**128
        found[entry["stream"]] = (count, total)
    return {stream: (count, f"{total:032x}") for stream, (count, total) in found.items()}


def worker_addresses(units: list[dict[str, Any]]) -> set[str]:
    return {u["worker"] for u in units}


def test_streams_and_partitions_on_two_workers_load_what_a_local_run_loads(
    tmp_path: Path, databases: Databases, reference: Reference, dask_cluster: DaskCluster
) -> None:
    project = make_project(tmp_path / "p", databases, "scaled")
    units: list[dict[str, Any]] = []
    with ThreadPoolExecutor(len(PIPELINES)) as pool:  # runs share a cluster
        results = pool.map(lambda b: split_run(project, dask_cluster.address, *b), PIPELINES)
        for (tap, target), result in zip(PIPELINES, results, strict=True):
            assert {u["status"] for u in result["units"]} == {"done"}
            units += result["units"]
            assert state(project, tap, target) == reference.states[tap, target]
    # each target: a unit per CSV file, per key range of public-big and public-plain, and
    # public-heap whole (no primary key: tap-postgres does not partition it)
    assert Counter(u["stream"] for u in units) == {
        "orders": 2,
        "events": 2 * EVENT_FILES,
        "public-big": 2 * 4,
        "public-heap": 2,
        "public-plain": 2 * 2,
    }
    assert {u["partition"] for u in units if u["stream"] == "events"} == {
        f"part-{p}.csv" for p in range(EVENT_FILES)
    }
    assert len({u["partition"] for u in units if u["stream"] == "public-big"}) == 4
    assert worker_addresses(units) == {w.address for w in dask_cluster.workers}
    assert_same_tables(databases.target, "scaled", reference.schema, CSV_TABLES + PG_TABLES)
    scaled, local = lake_rows(project / "lake"), lake_rows(reference.project / "lake")
    assert {s: count for s, (count, _) in scaled.items()} == {
        "orders": CSV_ROWS,
        "events": ROWS["events"],
        "public-big": BIG_ROWS,
        "public-heap": HEAP_ROWS,
        "public-plain": PLAIN_ROWS,
    }
    assert scaled == local


_METRIC = re.compile(r"^\S+ (?P<plugin>[\w-]+) \| .*METRIC: (?P<metric>\{.*\})$")
_UNIT = re.compile(r"^\S+ elt \| unit (?P<id>\w+) \((?P<name>[^)]*)\) on ")


def tap_progress(worker: DaskWorker, unit: str) -> tuple[str, bool] | None:
    """The stream of a unit the worker runs, and whether its tap is mid-stream (it sent
    rows, and has not ended its sync); None before the unit's log names it."""
    logs = sorted((worker.cache / "projects").glob(f"*/.elt/logs/units/{unit}.*.log"))
    if not logs:
        return None
    lines = logs[-1].read_text(errors="replace").splitlines()
    named = _UNIT.match(lines[0]) if lines else None
    if named is None:
        return None
    sent = ended = False
    for line in lines:
        metric = _METRIC.match(line)
        if metric is None or not metric["plugin"].startswith("tap-"):
            continue
        point = json.loads(metric["metric"])
        sent = sent or (point["metric"] == "record_count" and point["value"] > 0)
        ended = ended or point["metric"] == "sync_duration"
    return named["name"].partition("[")[0], sent and not ended


def kill_mid_unit(
    cluster: DaskCluster, streams: set[str], run: Future[Any]
) -> dict[str, tuple[str, str]]:
    """SIGKILL, for each of ``streams``, a worker while its tap is mid-way through a unit of
    that stream: {stream: (the worker's address, the unit id)}."""
    killed: dict[str, tuple[str, str]] = {}
    deadline = time.monotonic() + UNIT_TIMEOUT
    with cluster.client() as client:
        while streams - killed.keys():
            if run.done():  # its own failure first, if it failed
                run.result()
                raise AssertionError(f"the run ended before a unit of each of {streams} was killed")
            assert time.monotonic() < deadline, cluster.logs()
            for address, keys in client.processing().items():
                worker = cluster.worker(address)
                if worker.process.poll() is not None:
                    continue
                for key in keys:
                    unit = str(key).rsplit("-", 1)[1]
                    progress = tap_progress(worker, unit)
                    if progress and progress[1] and progress[0] in streams - killed.keys():
                        cluster.kill(worker)
                        killed[progress[0]] = (address, unit)
                        break
            time.sleep(0.05)
    return killed


def test_a_worker_killed_mid_unit_has_the_unit_rerun_and_every_row_loaded_once(
    tmp_path: Path,
    databases: Databases,
    reference: Reference,
    dask_cluster_factory: ClusterFactory,
) -> None:
    # three workers: one killed mid-way through a keyed unit, one through an unkeyed one
    cluster = dask_cluster_factory(workers=3, env={**os.environ, "ELT_METRIC_INTERVAL": "0.1"})
    project = make_project(tmp_path / "p", databases, "killed")
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(
            split_run, project, cluster.address, "tap-postgres", "target-postgres"
        )
        killed = kill_mid_unit(cluster, {"public-big", "public-heap"}, running)
        result = running.result(timeout=UNIT_TIMEOUT)
    by_id = {u["unit_id"]: u for u in result["units"]}
    for address, unit in killed.values():
        assert by_id[unit]["attempt"] == 2
        assert by_id[unit]["worker"] != address
    with psycopg.connect(databases.target) as conn:
        rows = conn.execute("select unit_id, attempt from killed._elt_units").fetchall()
    ledger: dict[str, int] = dict(rows)  # the first attempt of a killed unit committed nothing
    assert {unit: ledger[unit] for _, unit in killed.values()} == {
        unit: 2 for _, unit in killed.values()
    }
    assert_same_tables(databases.target, "killed", reference.schema, PG_TABLES)
    assert (
        state(project, "tap-postgres", "target-postgres")
        == reference.states["tap-postgres", "target-postgres"]
    )


def test_a_unit_with_bad_data_fails_the_run_naming_it_and_the_rerun_loads_only_that_unit(
    tmp_path: Path, databases: Databases, reference: Reference, dask_cluster: DaskCluster
) -> None:
    project = make_project(tmp_path / "p", databases, "failing")
    bad = event_file(project, 2)
    write_csv(
        bad, event_ids(2), day=5, extra_line="999,a bad row,2026-01-05T00:00:00Z,a fourth field\n"
    )
    failed = run_elt(
        project, "run", "tap-csv", "target-postgres", "--executor", dask_cluster.address
    )
    assert failed.returncode == 65, failed.stderr
    assert "unit events[part-2.csv]" in failed.stderr
    with psycopg.connect(databases.target) as conn:
        ledger = conn.execute("select stream, partition from failing._elt_units").fetchall()
    assert sorted(ledger) == sorted(
        [("orders", "orders.csv")]
        + [("events", f"part-{p}.csv") for p in range(EVENT_FILES) if p != 2]
    )
    assert list(state(project, "tap-csv", "target-postgres")["elt_partitions"]) == ["events"]

    write_csv(bad, event_ids(2), day=5)
    rerun = split_run(project, dask_cluster.address, "tap-csv", "target-postgres")
    moved = {(u["stream"], u["partition"]): u["rows"] for u in rerun["units"] if u["rows"]}
    assert moved == {("events", "part-2.csv"): CSV_ROWS // 2}
    assert_same_tables(databases.target, "failing", reference.schema, CSV_TABLES)
    assert (
        state(project, "tap-csv", "target-postgres")
        == reference.states["tap-csv", "target-postgres"]
    )


def test_a_jobs_independent_tasks_run_at_once_on_the_cluster(
    tmp_path: Path, databases: Databases, reference: Reference, dask_cluster: DaskCluster
) -> None:
    job = (
        "jobs:\n"
        "  - name: both\n"
        '    tasks: ["tap-csv target-postgres", "tap-csv target-files"]\n'
        '    depends_on: {"tap-csv target-files": []}\n'
    )
    project = make_project(tmp_path / "p", databases, "job", extra=job)
    done = run_elt(project, "job", "run", "both", "--executor", dask_cluster.address)
    assert done.returncode == 0, done.stderr
    listed = run_elt(project, "runs", "list", "--format", "json")
    runs = [r for r in json.loads(listed.stdout) if r["job"] == "both"]
    assert sorted(r["target"] for r in runs) == ["target-files", "target-postgres"]
    assert {r["status"] for r in runs} == {"success"}
    assert all(r["units"] for r in runs)
    assert max(r["started_at"] for r in runs) < min(r["ended_at"] for r in runs)
    assert_same_tables(databases.target, "job", reference.schema, CSV_TABLES)


def test_units_run_over_tls_with_the_certificates_the_environment_names(
    tmp_path: Path,
    databases: Databases,
    reference: Reference,
    dask_cluster_factory: ClusterFactory,
) -> None:
    cluster = dask_cluster_factory(workers=1, tls=True)
    assert cluster.address.startswith("tls://")
    assert cluster.certificates is not None
    project = make_project(tmp_path / "p", databases, "tls")
    refused = run_elt(project, "run", "tap-csv", "target-postgres", "--executor", cluster.address)
    assert refused.returncode == 78, refused.stderr
    assert "speaks TLS and no client certificate was given" in refused.stderr
    result = split_run(
        project, cluster.address, "tap-csv", "target-postgres", **cluster.certificates.environ()
    )
    assert worker_addresses(result["units"]) == {cluster.workers[0].address}
    assert_same_tables(databases.target, "tls", reference.schema, CSV_TABLES)
    assert (
        state(project, "tap-csv", "target-postgres")
        == reference.states["tap-csv", "target-postgres"]
    )
