"""Scenarios of the README's Scale out section (see :mod:`tests.readme.examples`): its
project runs for real, split into units on this machine and on a Dask cluster started with
the README's own commands."""

from __future__ import annotations

import json
import os
import subprocess
import time
import tomllib
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.fixtures.dask import free_port
from tests.fixtures.services import stop_process
from tests.readme.examples import BIN, REPO, Example, example, run_bash
from tests.readme.root_examples import elt
from tests.readme.scenarios import scenario

EVENTS = 20_000
CUSTOMERS = 50
CLICK_FILES = 2


def scaleout_project(root: Path, pg_database: str) -> tuple[Path, dict[str, str]]:
    """The README's project, its source tables and click files, and the environment its
    ``${VAR}``s name (the source and the warehouse are one test database: the tap reads
    ``public``, the target loads ``raw``)."""
    with psycopg.connect(pg_database) as conn:
        conn.execute(
            "create table events (id bigint primary key, kind text, updated_at timestamptz);"
            "create table customers (id integer primary key, name text)"
        )
        conn.execute(
            "insert into events select i, 'kind ' || (i %% 7), "
            "timestamptz '2026-01-01' + i * interval '1 minute' from generate_series(1, %s) i",
            (EVENTS,),
        )
        conn.execute(
            "insert into customers select i, 'customer ' || i from generate_series(1, %s) i",
            (CUSTOMERS,),
        )
    (root / "clicks").mkdir(parents=True)
    (root / "plugins.yml").write_text(example("scale-out-project").text)
    for part in range(CLICK_FILES):
        (root / "clicks" / f"part-{part}.csv").write_text(
            f"id,page\n{2 * part + 1},/home\n{2 * part + 2},/pricing\n"
        )
    env = {
        "SOURCE_URL": pg_database,
        "WAREHOUSE_URL": pg_database,
        "ELT_CACHE_DIR": str(root.parent / "elt-cache"),  # plugins' --about, asked afresh
    }
    return root, env


def loaded(pg_database: str) -> dict[str, int]:
    with psycopg.connect(pg_database) as conn:
        return {
            table: conn.execute(f"select count(*) from raw.{table}").fetchall()[0][0]
            for table in ("events", "customers", "clicks")
        }


def runs(project: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    """The project's runs, oldest first."""
    listed: list[dict[str, Any]] = json.loads(
        elt(project, "runs", "list", "--format", "json", env=env)
    )
    return listed[::-1]


def assert_at_once(job_runs: list[dict[str, Any]]) -> None:
    assert [r["status"] for r in job_runs] == ["success", "success"]
    assert max(r["started_at"] for r in job_runs) < min(r["ended_at"] for r in job_runs)


@scenario("scale-out-project")
def scale_out_project(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The example is a whole plugins.yml: it loads, with its executor and its job's
    dependencies (the next two scenarios run it)."""
    project = tmp_path / "p"
    project.mkdir()
    (project / "plugins.yml").write_text(found.text)
    env = {"SOURCE_URL": "postgresql://localhost/source", "WAREHOUSE_URL": "postgresql://w/h"}
    assert "tap-postgres target-postgres" in elt(project, "job", "list", env=env)
    assert "executor: local:4" in found.text


@scenario("scale-out-run")
def scale_out_run(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The three commands in the README's project, on this machine (``executor: local:4``)."""
    pg_database = request.getfixturevalue("pg_database")
    project, env = scaleout_project(tmp_path / "p", pg_database)
    done = run_bash(found.text, project, env)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    first, *job = runs(project, env)
    assert [u["stream"] for u in first["units"]].count("public-events") == 8
    assert len(first["units"]) == 9
    assert {u["status"] for u in first["units"]} == {"done"}
    assert_at_once(job)
    assert loaded(pg_database) == {"events": EVENTS, "customers": CUSTOMERS, "clicks": 4}


@scenario("scale-out-cluster")
def scale_out_cluster(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The commands as written, but the first (this environment has ``elt-core[dask]``;
    the extra is checked to name distributed) and with this machine's loopback address and
    a free port for the host "scheduler" and its port 8786."""
    install, scheduler, worker, coordinator = [
        line.partition("#")[0].strip() for line in found.text.splitlines()
    ]
    assert install == 'pip install "elt-core[dask]"'
    extras = tomllib.loads((REPO / "core" / "pyproject.toml").read_text())["project"]
    assert any(r.startswith("distributed") for r in extras["optional-dependencies"]["dask"])
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = scheduler.replace("--port 8786", f"--host 127.0.0.1 --port {port}")
    environ = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "ELT_WORKER_CACHE": str(tmp_path / "worker-cache"),
        "ELT_CACHE_DIR": str(tmp_path / "elt-cache"),
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, line in (("scheduler", scheduler), ("worker", worker)):
            with (tmp_path / f"{name}.log").open("wb") as log:
                command = "exec " + line.replace("tcp://scheduler:8786", address)
                processes.append(
                    subprocess.Popen(
                        ["bash", "-c", command], stdout=log, stderr=subprocess.STDOUT, env=environ
                    )
                )
        wait_for_worker(address, tmp_path)
        pg_database = request.getfixturevalue("pg_database")
        project, env = scaleout_project(tmp_path / "p", pg_database)
        done = run_bash(coordinator.replace("tcp://scheduler:8786", address), project, env)
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    finally:
        for process in reversed(processes):
            stop_process(process)
    job = runs(project, env)
    assert_at_once(job)
    units = [u for r in job for u in r["units"]]
    assert len(units) == 9 + CLICK_FILES
    assert {u["worker"].rpartition(":")[0] for u in units} == {"tcp://127.0.0.1"}
    assert loaded(pg_database) == {"events": EVENTS, "customers": CUSTOMERS, "clicks": 4}


def wait_for_worker(address: str, logs: Path) -> None:
    """Until the scheduler at ``address`` has a worker (60 s at most)."""
    from distributed import Client

    deadline = time.monotonic() + 60
    while True:
        try:
            client = Client(address, timeout=5, set_as_default=False)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(
                    "\n".join(p.read_text(errors="replace") for p in logs.glob("*.log"))
                ) from None
            time.sleep(0.3)
    with client:
        client.wait_for_workers(1, timeout=max(1.0, deadline - time.monotonic()))
