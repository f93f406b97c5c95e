"""Bad input through the real ``target-postgres`` executable: a clear error, nothing lost.

Each case checks the exit code (sysexits, as elt.errors defines them), that stderr holds
one paragraph naming what and where (and no traceback), and what the database and stdout
hold afterwards: no row of the failed batch, and no STATE past the last commit.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.targets import run_executable

Cli = Callable[..., Any]

USERS_PROPERTIES = {"id": {"type": "integer"}, "age": {"type": ["integer", "null"]}}


@pytest.fixture
def users(m: Any) -> dict[str, Any]:
    return m.schema("users", USERS_PROPERTIES)


def test_loads_records_and_emits_the_final_state(cli: Cli, db: Any, m: Any, users: Any) -> None:
    run = cli([users, m.record("users", {"id": 1, "age": 30}), m.state({"users": 1})])

    assert run.code == 0, run.stderr
    assert run.states == [{"users": 1}]
    assert db.rows("SELECT id, age FROM users") == [(1, 30)]


def test_malformed_line_is_a_protocol_error_naming_the_line(
    cli: Cli, db: Any, m: Any, users: Any
) -> None:
    good = m.lines([users, m.record("users", {"id": 1, "age": 30})])
    run = cli(good + b'{"type": "RECORD", "stream": "users", "record": {"id": 2,\n')

    assert run.code == 65
    assert "line 3" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.states == []
    assert db.tables() == []  # the table was made in the failed batch, so it is gone too


def test_record_before_schema_is_a_protocol_error(cli: Cli, db: Any, m: Any, users: Any) -> None:
    run = cli([m.record("users", {"id": 1}), users])

    assert run.code == 65
    assert "users" in run.stderr
    assert "before" in run.stderr
    assert "Traceback" not in run.stderr
    assert db.tables() == []


def test_string_in_an_integer_column_names_stream_line_and_property(
    cli: Cli, db: Any, m: Any, users: Any
) -> None:
    messages = [
        users,
        m.record("users", {"id": 1, "age": 30}),
        m.state({"users": 1}),
        m.record("users", {"id": 2, "age": 31}),
        m.record("users", {"id": 3, "age": "thirty"}),
        m.state({"users": 3}),
    ]
    run = cli(messages)

    assert run.code == 65
    assert "line 5" in run.stderr
    assert "stream 'users'" in run.stderr
    assert "property 'age'" in run.stderr
    assert "thirty" in run.stderr
    assert "Traceback" not in run.stderr
    # all of it was one batch: nothing committed, no STATE written
    assert run.states == []
    assert db.tables() == []


def test_a_bad_value_after_many_batches_keeps_the_committed_ones(
    cli: Cli, db: Any, m: Any, users: Any
) -> None:
    messages: list[dict[str, Any]] = [users]
    for n in range(1, 26):
        messages += [m.record("users", {"id": n, "age": n}), m.state({"users": n})]
    messages[1 + 2 * 22] = m.record("users", {"id": 23, "age": 1.5})
    run = cli(messages, batch_size_rows=10)

    assert run.code == 65
    assert "line 46" in run.stderr
    assert "property 'age'" in run.stderr
    # commits happen at the STATE that fills a batch (after rows 10 and 20); the failed
    # batch (rows 21-23) left nothing
    assert run.states[-1] == {"users": 20}
    assert db.rows("SELECT max(id), count(*) FROM users") == [(20, 20)]


@pytest.fixture
def config(pg_database: str, tmp_path: Path) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"sqlalchemy_url": pg_database}))
    return path


def test_sigterm_rolls_back_the_open_batch_and_exits_143(
    config: Path, target_executable: Path, db: Any, m: Any, users: Any
) -> None:
    proc = subprocess.Popen(
        [str(target_executable), "--config", str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None
    proc.stdin.write(m.lines([users, m.record("users", {"id": 1, "age": 2}), m.state({"n": 1})]))
    proc.stdin.flush()
    for _ in range(400):  # wait until the row is on its way in the open COPY
        copying = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY %%users%%'"
        if db.rows(copying)[0][0]:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)

    assert proc.returncode == 143
    assert b"SIGTERM" in stderr
    assert stdout == b""
    assert db.tables() == []


def test_missing_key_property_is_a_protocol_error(cli: Cli, db: Any, m: Any, users: Any) -> None:
    run = cli([users, m.record("users", {"age": 3})])

    assert run.code == 65
    assert "key property 'id'" in run.stderr
    assert "line 2" in run.stderr


def test_wrong_password_is_configuration_without_the_password(
    password_pg: str, tmp_path: Path, target_executable: Path, m: Any, users: Any
) -> None:
    config = tmp_path / "config.json"
    url = password_pg.replace("loader@", "loader:not-the-password@")
    config.write_text(json.dumps({"sqlalchemy_url": url}))
    done = subprocess.run(
        [str(target_executable), "--config", str(config)],
        input=m.lines([users]),
        capture_output=True,
        timeout=60,
        check=False,
    )
    stderr = done.stderr.decode()

    assert done.returncode == 78  # AccessError: retrying cannot fix a password
    assert "password authentication failed" in stderr
    assert "loader@127.0.0.1" in stderr
    assert "not-the-password" not in stderr
    assert "Traceback" not in stderr


def test_right_password_from_discrete_settings_loads(
    password_pg: str, tmp_path: Path, target_executable: Path, m: Any, users: Any
) -> None:
    port = int(password_pg.rsplit(":", 1)[1].split("/", maxsplit=1)[0])
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "host": "127.0.0.1",
                "port": port,
                "user": "loader",
                "password": "s3cret",
                "database": "postgres",
                "default_target_schema": "scram_test",
            }
        )
    )
    done = subprocess.run(
        [str(target_executable), "--config", str(config)],
        input=m.lines([users, m.record("users", {"id": 1, "age": 2}), m.state({"n": 1})]),
        capture_output=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout) == {"n": 1}


def test_unreachable_host_is_a_service_error(
    unused_port: int, tmp_path: Path, target_executable: Path, m: Any, users: Any
) -> None:
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"host": "127.0.0.1", "port": unused_port, "user": "u", "password": "pw-x"})
    )
    done = subprocess.run(
        [str(target_executable), "--config", str(config)],
        input=m.lines([users]),
        capture_output=True,
        timeout=60,
        check=False,
    )
    stderr = done.stderr.decode()

    assert done.returncode == 75
    assert f"127.0.0.1:{unused_port}" in stderr
    assert "Check host and port" in stderr
    assert "pw-x" not in stderr
    assert "Traceback" not in stderr


def test_about_lists_every_setting_without_a_database(target_executable: Path) -> None:
    done = subprocess.run(
        [str(target_executable), "--about", "--format", "json"],
        capture_output=True,
        timeout=60,
        check=True,
    )
    about = json.loads(done.stdout)
    settings = set(about["settings"]["properties"])

    assert {
        "host",
        "port",
        "user",
        "password",
        "database",
        "sqlalchemy_url",
        "default_target_schema",
        "load_method",
        "add_record_metadata",
        "activate_version",
        "hard_delete",
        "batch_size_rows",
        "delete_batch_files",
        "ssl_enable",
        "ssl_mode",
        "ssl_certificate_authority",
    } <= settings
    assert {"stream_maps", "stream_map_config", "faker_config", "flattening_enabled"} <= settings
    assert {"validate_records", "process_activate_version_messages"} <= settings
    assert {"activate-version", "batch", "stream-maps", "schema-flattening"} <= set(
        about["capabilities"]
    )


def test_a_bad_sdc_deleted_at_from_record_metadata_is_blamed_on_the_record_not_the_schema(
    cli: Cli, db: Any, m: Any, users: Any
) -> None:
    run = cli(
        [users, m.record("users", {"id": 1, "_sdc_deleted_at": "yesterday-ish"})],
        add_record_metadata=True,
    )

    assert run.code == 65
    assert "line 2, stream 'users', property '_sdc_deleted_at'" in run.stderr
    assert "add_record_metadata" in run.stderr
    assert "SCHEMA declared" not in run.stderr
    assert "Traceback" not in run.stderr
    assert db.tables() == []


def _error_paragraph(stderr: str) -> str:
    """The one ERROR paragraph the target logged."""
    errors = [line for line in stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1, stderr
    return errors[0].split("| ", 3)[-1]


def _schema(stream: str, properties: Any, keys: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    schema = {"type": "object"} if properties is None else {"properties": properties}
    return {"type": "SCHEMA", "stream": stream, "schema": schema, "key_properties": list(keys)}


ID = {"id": {"type": "integer"}}
BAD_SCHEMAS = {
    "no properties": ([_schema("tbl", None, keys=())], "line 2, stream 'tbl':", None),
    "unknown type": ([_schema("tbl", {**ID, "p": {"type": "strang"}})], "line 2", "p"),
    "property schema not an object": ([_schema("tbl", {**ID, "p": 5})], "line 2", "p"),
    "undeclared key property": ([_schema("tbl", ID, keys=("p",))], "line 2", "p"),
    "empty property name": ([_schema("tbl", {**ID, "": {"type": "string"}})], "line 2", ""),
    "NUL in a property name": ([_schema("tbl", {**ID, "a\0b": {"type": "string"}})], "line 2", "a\0b"),
    "NUL in a stream name": ([_schema("t\0b", ID)], "line 2, stream 't\\x00b':", None),
    "empty stream name": ([_schema("", ID)], "line 2, stream '':", None),
    "two streams, one table": (
        [_schema("public-tbl", ID), _schema("tbl", ID)],
        "line 3, stream 'tbl':",
        None,
    ),
    "BATCH before SCHEMA": (
        [{"type": "BATCH", "stream": "tbl", "encoding": {"format": "csv"}, "manifest": []}],
        "line 2, stream 'tbl':",
        None,
    ),
    "BATCH of an unknown format": (
        [_schema("tbl", ID), {"type": "BATCH", "stream": "tbl", "encoding": {"format": "xml"},
                              "manifest": []}],
        "line 3, stream 'tbl':",
        None,
    ),
    "RECORD before SCHEMA": (
        [{"type": "RECORD", "stream": "tbl", "record": {"id": 1}}],
        "line 2, stream 'tbl':",
        None,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_SCHEMAS.values(), ids=BAD_SCHEMAS)
def test_an_error_about_input_names_its_line_stream_and_property_once(
    cli: Cli, db: Any, m: Any, case: tuple[list[dict[str, Any]], str, str | None]
) -> None:
    messages, where, prop = case
    run = cli([m.state({"first": True}), *messages])

    assert run.code == 65, run.stderr
    paragraph = _error_paragraph(run.stderr)
    assert where in paragraph
    stream = messages[-1]["stream"]
    assert paragraph.count(f"stream {stream!r}") == 1, paragraph
    assert paragraph.count(repr(stream)) == 1, paragraph
    if prop is not None:
        assert f"line 2, stream 'tbl', property {prop!r}:" in paragraph
        assert paragraph.count(repr(prop)) == 1, paragraph
    assert "Traceback" not in run.stderr
    assert db.tables() == []


@pytest.mark.parametrize("depth", [300, 1000])
def test_a_value_nested_deeper_than_a_json_column_takes_is_refused_naming_it(
    cli: Cli, db: Any, m: Any, depth: int
) -> None:
    schema = _schema("tbl", {**ID, "doc": {"type": ["array", "null"]}})
    deep = "[" * depth + "1" + "]" * depth  # the reader takes up to 1,024 levels
    record = '{"type": "RECORD", "stream": "tbl", "record": {"id": 1, "doc": ' + deep + "}}\n"
    run = cli(m.lines([schema]) + record.encode())
    assert run.code == 65, run.stderr
    paragraph = _error_paragraph(run.stderr)
    assert "line 2, stream 'tbl', property 'doc': the value is nested more than 254" in paragraph
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("table_exists", [False, True], ids=["create table", "insert"])
def test_a_missing_privilege_is_configuration_not_retried(
    unprivileged_url: str, tmp_path: Path, db: Any, m: Any, table_exists: bool
) -> None:
    users = m.schema("users", USERS_PROPERTIES)
    if table_exists:
        db.execute("CREATE TABLE users (id bigint PRIMARY KEY, age bigint)")
    run = run_executable(
        "target-postgres",
        {"sqlalchemy_url": unprivileged_url},
        m.lines([users, m.record("users", {"id": 1, "age": 2})]),
        tmp_path,
    )

    assert run.code == 78, run.stderr  # AccessError: a retry cannot help, a GRANT can
    paragraph = _error_paragraph(run.stderr)
    assert "permission denied" in paragraph
    assert "grant" in paragraph.lower()


def test_meltanolabs_settings_that_cannot_change_the_data_are_warned_of_once(
    cli: Cli, db: Any, m: Any, users: Any
) -> None:
    run = cli(
        [users, m.record("users", {"id": 1, "age": 2})],
        use_copy=False,
        **{"dialect+driver": "postgresql+psycopg2"},
    )

    assert run.code == 0, run.stderr
    warnings = [line for line in run.stderr.splitlines() if "| WARNING" in line]
    assert len(warnings) == 2, warnings
    assert "'use_copy' has no effect" in warnings[1]
    assert "always loads with COPY" in warnings[1]
    assert "'dialect+driver' has no effect" in warnings[0]
    assert db.rows("SELECT id, age FROM users") == [(1, 2)]


def test_a_schema_name_postgres_reserves_is_configuration_naming_the_setting(
    pg_database: str, tmp_path: Path, m: Any
) -> None:
    users = m.schema("users", USERS_PROPERTIES)
    run = run_executable(
        "target-postgres",
        {"sqlalchemy_url": pg_database, "default_target_schema": "pg_loaded"},
        m.lines([users, m.record("users", {"id": 1, "age": 2})]),
        tmp_path,
    )

    assert run.code == 78, run.stderr
    assert "default_target_schema" in run.stderr
    assert "please report" not in run.stderr
