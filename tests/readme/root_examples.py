"""Scenarios of the repository README's examples (see :mod:`tests.readme.examples`)."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import psycopg
import pytest

from tests.fixtures.apiserver import ApiServer, Reply
from tests.fixtures.services import s3_client
from tests.readme.examples import REPO, Example, run_bash
from tests.readme.scenarios import executable, libpq_environment, scenario


def elt(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """``elt --project PROJECT ARGS…`` as a shell runs it; its stdout (it must succeed)."""
    command = shlex.join(["elt", "--project", str(project), *args])
    done = run_bash(command, project, env)
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def project_with(root: Path, fragment: str, plugins: str) -> Path:
    """A project whose plugins.yml is ``plugins`` (YAML) followed by the README's fragment."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "plugins.yml").write_text(f"version: 1\n{plugins}\n{fragment}")
    return root


@scenario("two-commands")
def two_commands(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """``make demo`` runs here against the test's database; ``make test`` is what CI runs
    (this suite is part of it), which ``.ci/run`` must say."""
    commands = [line.partition("#")[0].strip() for line in found.text.splitlines()]
    commands = [c for c in commands if c]
    assert commands == ["make demo", "make test"]
    ci = (REPO / ".ci" / "run").read_text()
    assert [
        line for line in ci.splitlines() if line and not line.startswith(("#", "set ", "cd "))
    ] == ["make test"]
    database = libpq_environment(request.getfixturevalue("pg_database"))
    done = run_bash(commands[0], REPO, database)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "second run: only what changed" in done.stdout
    url = f"postgresql://{database['PGUSER']}@{database['PGHOST']}:{database['PGPORT']}/"
    with psycopg.connect(url + database["PGDATABASE"]) as conn:
        [(rows,)] = conn.execute("select count(*) from elt_demo.orders").fetchall()
    assert rows > 0


@scenario("first-project")
def first_project(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The six commands in an empty directory; only the database URL differs: an
    environment variable wins over plugins.yml, as the README says."""
    pg_database = request.getfixturevalue("pg_database")
    assert "elt install && elt run tap-csv target-postgres" in found.text
    done = run_bash(found.text, tmp_path, {"TARGET_POSTGRES_SQLALCHEMY_URL": pg_database})
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    demo = tmp_path / "demo"
    assert (demo / ".elt" / "plugins" / "tap" / "tap-csv" / "venv").is_dir()
    assert (demo / ".elt" / "plugins" / "target" / "target-postgres" / "venv").is_dir()
    with psycopg.connect(pg_database) as conn:
        rows = conn.execute("select id, name from public.people order by id").fetchall()
    assert rows == [(1, "Ada"), (2, "Grace")]
    # the database URL went to .env (the plugin marks it secret), not to plugins.yml
    assert "sqlalchemy_url" not in (demo / "plugins.yml").read_text()
    assert "TARGET_POSTGRES_SQLALCHEMY_URL=" in (demo / ".env").read_text()


@scenario("history-and-alerts")
def history_and_alerts(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """A failing run is recorded in the Postgres system database and fires both alerts: the
    webhook (a local server) and the ``mail`` command (a stand-in that keeps what it got)."""
    pg_database = request.getfixturevalue("pg_database")
    hook = ApiServer()
    request.addfinalizer(hook.stop)
    hook.routes["/slack"] = lambda request: Reply(200, {"ok": True})
    mail_log = tmp_path / "mail.log"
    bin_dir = tmp_path / "bin"
    executable(bin_dir / "mail", f'#!/bin/sh\necho "$@" >> {mail_log}\ncat >> {mail_log}\n')
    project = project_with(
        tmp_path / "p",
        found.text,
        "plugins:\n  taps:\n    - name: tap-csv\n      config:\n"
        "        files: [{entity: users, path: missing.csv, keys: [id]}]\n"
        "  targets:\n    - name: target-files\n      config: {path: lake}\n",
    )
    env = {
        "ELT_SYSTEM_DATABASE": pg_database,
        "SLACK_WEBHOOK_URL": hook.url + "/slack",
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
    }
    failed = run_bash(shlex.join(["elt", "run", "tap-csv", "target-files"]), project, env)
    assert failed.returncode == 78, failed.stderr
    [hit] = hook.hits("/slack")
    assert hit.json()["event"] == "failure"
    assert "-s elt run failed ops@example.com" in mail_log.read_text()
    assert '"event": "failure"' in mail_log.read_text()
    runs = json.loads(elt(project, "runs", "list", "--format", "json", env=env))
    assert [r["status"] for r in runs] == ["failed"]
    with psycopg.connect(pg_database) as conn:
        [(count,)] = conn.execute("select count(*) from elt_runs").fetchall()
    assert count == 1


@scenario("jobs-and-schedules")
def jobs_and_schedules(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The jobs and schedules load (plugins they name, crons, a time zone) and list."""
    project = project_with(
        tmp_path / "p",
        found.text,
        "plugins:\n"
        "  taps: [{name: tap-csv}, {name: tap-http}]\n"
        "  targets: [{name: target-postgres}, {name: target-files}]\n"
        "  mappers: [{name: hash-emails, pip_url: meltano-map-transform==0.12.3}]\n"
        "environments: [{name: prod}]\n",
    )
    jobs = elt(project, "job", "list")
    assert "tap-http hash-emails target-files" in jobs
    schedules = elt(project, "schedule", "list")
    for name in ("nightly", "csv", "morning"):
        assert name in schedules
    assert "Europe/Berlin" in schedules


@scenario("state-backend")
def state_backend(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Bookmarks go to the bucket the example names (created on the moto server, which the
    standard AWS variables point boto3 at)."""
    endpoint = request.getfixturevalue("s3_endpoint")
    client = s3_client(endpoint)
    bucket = found.text.split("s3://", 1)[1].split("/", 1)[0]
    client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    request.addfinalizer(lambda: _empty_bucket(client, bucket))
    project = project_with(tmp_path / "p", found.text, "plugins:\n  taps: [{name: tap-csv}]\n")
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    elt(project, "state", "set", "dev:tap-csv-to-x", '{"bookmarks": {"users": {"id": 3}}}', env=env)
    assert "dev:tap-csv-to-x" in elt(project, "state", "list", env=env)
    stored = client.get_object(Bucket=bucket, Key="elt/state/dev%3Atap-csv-to-x.json")
    assert json.loads(stored["Body"].read()) == {"bookmarks": {"users": {"id": 3}}}


def _empty_bucket(client: object, bucket: str) -> None:
    listed = client.list_objects_v2(Bucket=bucket)  # type: ignore[attr-defined]
    for item in listed.get("Contents", []):
        client.delete_object(Bucket=bucket, Key=item["Key"])  # type: ignore[attr-defined]
    client.delete_bucket(Bucket=bucket)  # type: ignore[attr-defined]


@scenario("plugins-yml")
def plugins_yml(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The example as a project's plugins.yml: its select rules and environment work."""
    project = tmp_path / "p"
    (project / "data").mkdir(parents=True)
    (project / "plugins.yml").write_text(found.text)
    (project / "data" / "users.csv").write_text("id,name,password\n1,Ada,x\n")
    listed = elt(project, "select", "tap-csv", "--list", "--all")
    assert [line.split() for line in listed.splitlines()[1:]] == [
        ["users", "selected"],
        ["users.id", "automatic"],
        ["users.name", "selected"],
        ["users.password", "excluded"],
    ]
    assert elt(project, "config", "get", "target-postgres", "database").strip() == "dev"
    assert elt(project, "-e", "dev", "config", "get", "target-postgres", "port").strip() == "5432"
