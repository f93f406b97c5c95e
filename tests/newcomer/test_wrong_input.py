"""What a newcomer gets wrong in the first hour, and what they read back: the exit code of
the failure's class, one paragraph naming what and where, no traceback, nothing changed."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import psycopg

from tests.fixtures.services import free_port
from tests.newcomer.newcomer import Shell, elt_error, new_project, plugin_error


def csv_project(root: Path) -> Shell:
    shell = new_project(root)
    (shell.cwd / "people.csv").write_text("id,name\n1,Ada\n")
    shell.ok("elt add tap tap-csv && elt add target target-postgres")
    files = [{"entity": "people", "path": "people.csv", "keys": ["id"]}]
    shell.ok(f"elt config set tap-csv files {shlex.quote(json.dumps(files))}")
    return shell


def test_a_value_of_the_wrong_kind_is_refused_when_set(tmp_path: Path) -> None:
    shell = csv_project(tmp_path)
    before = (shell.cwd / "plugins.yml").read_text()
    error = elt_error(shell.run("elt config set target-postgres port abc"), 78)
    assert 'target-postgres.port: expected integer, got "abc"' in error
    assert (shell.cwd / "plugins.yml").read_text() == before


def test_a_misspelt_setting_is_refused_with_the_right_name(tmp_path: Path) -> None:
    shell = csv_project(tmp_path)
    error = elt_error(shell.run("elt config set tap-csv fles '[]'"), 78)
    assert "tap-csv does not declare a setting 'fles'" in error
    assert 'Did you mean "files"?' in error


def test_a_misspelt_setting_written_by_hand_fails_the_run_naming_it(tmp_path: Path) -> None:
    shell = csv_project(tmp_path)
    plugins = shell.cwd / "plugins.yml"
    plugins.write_text(plugins.read_text().replace("files:", "fles:"))
    error = elt_error(shell.run("elt run tap-csv target-postgres"), 78)
    assert "unknown setting 'fles' (did you mean 'files'?)" in error


def test_an_unknown_plugin_names_the_ones_there_are(tmp_path: Path) -> None:
    shell = csv_project(tmp_path)
    error = elt_error(shell.run("elt run tap-cvs target-postgres"), 78)
    assert 'unknown plugin "tap-cvs"' in error
    assert 'Did you mean "tap-csv"?' in error


def test_a_missing_csv_file_names_the_file_and_where_it_was_looked_for(
    tmp_path: Path, pg_database: str
) -> None:
    shell = csv_project(tmp_path)
    (shell.cwd / "people.csv").unlink()
    shell.env["TARGET_POSTGRES_SQLALCHEMY_URL"] = pg_database
    error = elt_error(shell.run("elt run tap-csv target-postgres"), 78)
    assert "files[0].path: 'people.csv' matches no file" in error
    assert error.count("matches no file") == 1


def test_a_missing_database_is_configuration_and_not_retried(tmp_path: Path, pg_url: str) -> None:
    shell = csv_project(tmp_path)
    shell.env["TARGET_POSTGRES_SQLALCHEMY_URL"] = pg_url.rsplit("/", 1)[0] + "/no_such_db"
    error = elt_error(shell.run("elt run tap-csv target-postgres --retries 2 --retry-delay 0"), 78)
    assert "no_such_db" in error
    runs = json.loads(shell.ok("elt runs list --format json"))
    assert len(runs) == 1  # not retried: a retry cannot create the database


def test_an_unreachable_database_is_a_temporary_failure(tmp_path: Path) -> None:
    shell = csv_project(tmp_path)
    shell.env["TARGET_POSTGRES_SQLALCHEMY_URL"] = f"postgresql://postgres@127.0.0.1:{free_port()}/x"
    elt_error(shell.run("elt run tap-csv target-postgres"), 75)
    assert "tap-csv-to-target-postgres" not in shell.ok("elt state list")


def test_an_unreachable_api_is_a_temporary_failure(tmp_path: Path) -> None:
    shell = new_project(tmp_path)
    shell.ok("elt add tap tap-http && elt add target target-files")
    shell.ok(f"elt config set tap-http api_url http://127.0.0.1:{free_port()}")
    shell.ok("elt config set tap-http max_tries 1")
    streams = [{"name": "customers", "path": "/customers", "primary_keys": ["id"],
                "schema": {"properties": {"id": {"type": "integer"}}}}]  # fmt: skip
    shell.ok(f"elt config set tap-http streams {shlex.quote(json.dumps(streams))}")
    shell.ok("elt config set target-files path lake")
    error = elt_error(shell.run("elt run tap-http target-files"), 75)
    assert "tap tap-http exited with code 75" in error


def test_a_shell_pipes_broken_state_file_is_one_error(tmp_path: Path) -> None:
    shell = Shell(tmp_path, {})
    (tmp_path / "orders.csv").write_text("id\n1\n")
    (tmp_path / "state.json").write_text('{"bookmarks": {}}\n{"bookmarks": {"ord\n')
    config = json.dumps({"files": [{"entity": "orders", "path": "orders.csv", "keys": ["id"]}]})
    done = shell.run(f"tap-csv --config {shlex.quote(config)} --state state.json")
    line = plugin_error(done, 78)
    assert "state.json line 2: not valid JSON" in line
    assert done.stdout == ""


def test_a_missing_config_file_or_broken_inline_config_is_one_error(tmp_path: Path) -> None:
    shell = Shell(tmp_path, {})
    missing = plugin_error(shell.run("target-files --config target.json < /dev/null"), 78)
    assert "the config file target.json does not exist" in missing
    broken = plugin_error(shell.run("target-files --config '{\"path\": ' < /dev/null"), 78)
    assert "the inline --config JSON: not valid JSON" in broken


def test_a_malformed_singer_stream_names_its_line_and_loads_nothing(
    tmp_path: Path, pg_database: str
) -> None:
    shell = Shell(tmp_path, {})
    (tmp_path / "in.jsonl").write_text(
        '{"type": "SCHEMA", "stream": "s", "schema": {"properties": {"id": {"type": "integer"}}},'
        ' "key_properties": ["id"]}\n'
        '{"type": "RECORD", "stream": "s", "record": {"id": 1}}\n'
        '{"type": "RECORD", "stream": "s", "record": {"id": 2}\n'
    )
    config = shlex.quote(json.dumps({"sqlalchemy_url": pg_database}))
    done = shell.run(f"target-postgres --config {config} < in.jsonl")
    line = plugin_error(done, 65)
    assert "line 3" in line
    assert done.stdout == ""
    with psycopg.connect(pg_database) as conn:
        tables = conn.execute("select count(*) from pg_tables where tablename = 's'").fetchone()
    assert tables == (0,) or conn.closed
