"""Settings → libpq connection strings; what errors show (never a password)."""

from __future__ import annotations

import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from psycopg.conninfo import conninfo_to_dict

from elt.errors import AccessError, ConfigError, EltError, ServiceError
from elt.sdk.postgres import connect, describe, error_class
from elt.sdk.postgres import conninfo as plugin_conninfo
from tests.fixtures.services import free_port, throwaway_pg_cluster


def conninfo(config: dict[str, object]) -> str:
    return plugin_conninfo(config, application="target-postgres")


PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p%40ss@db.example:6543/warehouse",
        "postgres://u:p%40ss@db.example:6543/warehouse",
        "postgresql+psycopg://u:p%40ss@db.example:6543/warehouse",
        "postgresql+psycopg2://u:p%40ss@db.example:6543/warehouse",
    ],
)
def test_sqlalchemy_url_forms_reach_the_same_server(url: str) -> None:
    params = conninfo_to_dict(conninfo({"sqlalchemy_url": url, "host": "ignored"}))

    assert params["host"] == "db.example"
    assert params["port"] == "6543"
    assert params["user"] == "u"
    assert params["password"] == "p@ss"
    assert params["dbname"] == "warehouse"


def test_discrete_settings_build_the_conninfo_with_a_timeout() -> None:
    params = conninfo_to_dict(
        conninfo({"host": "h", "port": 5433, "user": "u", "password": "p", "database": "d"})
    )

    assert params == {
        "host": "h",
        "port": "5433",
        "user": "u",
        "password": "p",
        "dbname": "d",
        "connect_timeout": "15",
        "application_name": "target-postgres",
    }


def test_other_url_schemes_are_a_config_error_that_hides_the_password() -> None:
    with pytest.raises(ConfigError) as raised:
        conninfo({"sqlalchemy_url": "mysql://u:hunter2@h/db"})

    assert "hunter2" not in str(raised.value)
    assert "u:***@h" in str(raised.value)


def test_describe_names_the_server_without_the_password() -> None:
    where = describe({"sqlalchemy_url": "postgresql://u:hunter2@h:1/db"})

    assert where == "u@h:1/db"


def test_ssl_settings_map_to_libpq_and_pem_text_becomes_a_private_file(tmp_path: Path) -> None:
    params = conninfo_to_dict(
        conninfo(
            {
                "host": "h",
                "ssl_enable": True,
                "ssl_mode": "verify-ca",
                "ssl_certificate_authority": PEM,
                "ssl_client_certificate_enable": True,
                "ssl_client_certificate": "/etc/cert.pem",
                "ssl_client_private_key": PEM,
                "ssl_storage_directory": str(tmp_path),
            }
        )
    )

    assert params["sslmode"] == "verify-ca"
    assert params["sslcert"] == "/etc/cert.pem"
    root = Path(params["sslrootcert"])
    assert root.parent == tmp_path
    assert root.read_text() == PEM
    assert stat.S_IMODE(Path(params["sslkey"]).stat().st_mode) == 0o600


def test_ssl_off_leaves_sslmode_to_libpq() -> None:
    params = conninfo_to_dict(conninfo({"host": "h", "ssl_mode": "require"}))

    assert "sslmode" not in params


def test_client_certificate_without_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="ssl_client_private_key"):
        conninfo({"ssl_client_certificate_enable": True, "ssl_client_certificate": "/c"})


# --- error classes: what a retry may fix (75) and what it cannot (78) --------------------------


def real_config(url: str, **changes: object) -> dict[str, object]:
    parts = urlsplit(url)
    config: dict[str, object] = {
        "host": parts.hostname,
        "port": parts.port,
        "user": parts.username,
        "database": parts.path.lstrip("/"),
    }
    return config | changes


@pytest.fixture(scope="module")
def guarded_url() -> Iterator[str]:
    """A server that checks passwords (the shared one trusts local connections)."""
    with throwaway_pg_cluster(password="right-secret") as url:
        yield url


def connect_error(config: dict[str, object]) -> EltError:
    with pytest.raises(EltError) as raised:
        connect(config, application="test")
    return raised.value


def test_a_wrong_password_is_an_access_error_not_retried(guarded_url: str) -> None:
    error = connect_error(real_config(guarded_url, password="wr0ng-s3cret"))

    assert type(error) is AccessError
    assert error.exit_code == 78
    assert not error.retriable
    assert "password authentication failed" in str(error)
    assert "wr0ng-s3cret" not in str(error)


def test_a_missing_password_is_an_access_error(guarded_url: str) -> None:
    assert type(connect_error(real_config(guarded_url))) is AccessError


def test_a_role_created_with_a_password_is_refused_the_wrong_one(guarded_url: str) -> None:
    owner = real_config(guarded_url, password="right-secret")
    role = f"reader_{uuid.uuid4().hex[:8]}"
    with connect(owner, application="test") as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}'")
        conn.commit()

    assert type(connect_error(real_config(guarded_url, user=role, password="nope"))) is AccessError
    with connect(real_config(guarded_url, user=role, password=f"pw-{role}"), application="t"):
        pass


def test_a_missing_database_is_an_access_error(pg_url: str) -> None:
    error = connect_error(real_config(pg_url, database=f"missing_{uuid.uuid4().hex[:8]}"))

    assert type(error) is AccessError
    assert "does not exist" in str(error)


def test_a_missing_role_is_an_access_error(pg_url: str) -> None:
    error = connect_error(real_config(pg_url, user=f"nobody_{uuid.uuid4().hex[:8]}"))

    assert type(error) is AccessError


def test_a_role_that_may_not_log_in_is_an_access_error_saying_so(pg_url: str) -> None:
    import psycopg

    role = f"nologin_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} NOLOGIN")
    try:
        error = connect_error(real_config(pg_url, user=role))
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP ROLE {role}")

    assert type(error) is AccessError
    assert "ALTER ROLE … LOGIN" in str(error)


def test_a_port_nothing_listens_on_is_a_service_error_a_retry_may_fix() -> None:
    error = connect_error({"host": "127.0.0.1", "port": free_port(), "user": "postgres"})

    assert type(error) is ServiceError
    assert error.exit_code == 75
    assert error.retriable
    assert "Connection refused" in str(error)


def test_errors_of_statements_are_sorted_by_sqlstate(pg_database: str) -> None:
    import psycopg

    def failure(statement: str) -> psycopg.Error:
        with psycopg.connect(pg_database, autocommit=True) as conn:
            with pytest.raises(psycopg.Error) as raised:
                conn.execute(statement)
            return raised.value

    timeout = failure("SET statement_timeout = '10ms'; SELECT pg_sleep(1)")
    assert timeout.sqlstate == "57014"
    assert error_class(timeout) is ServiceError
    assert error_class(failure("SELECT FROM nowhere_at_all")) is ConfigError
    assert error_class(failure("SELEC 1")) is ConfigError


@pytest.mark.parametrize(
    ("sqlstate", "expected"),
    [
        ("28P01", AccessError),  # invalid_password
        ("28000", AccessError),  # invalid_authorization_specification (no such role)
        ("3D000", AccessError),  # invalid_catalog_name (no such database)
        ("42501", AccessError),  # insufficient_privilege
        ("57P04", AccessError),  # database_dropped
        ("57P03", ServiceError),  # cannot_connect_now: starting up, shutting down
        ("57P01", ServiceError),  # admin_shutdown
        ("08006", ServiceError),  # connection_failure
        ("53300", ServiceError),  # too_many_connections
        ("53100", ServiceError),  # disk_full
        ("40001", ServiceError),  # serialization_failure
        ("40P01", ServiceError),  # deadlock_detected
        ("55P03", ServiceError),  # lock_not_available
        ("42601", ConfigError),  # syntax_error
        ("22P02", ConfigError),  # invalid_text_representation
    ],
)
def test_each_sqlstate_class_has_one_error_class(sqlstate: str, expected: type) -> None:
    from psycopg import errors

    assert error_class(errors.lookup(sqlstate)("as the server says")) is expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ('FATAL:  password authentication failed for user "u"', AccessError),
        ("fe_sendauth: no password supplied", AccessError),
        ('FATAL:  no pg_hba.conf entry for host "10.0.0.1", user "u"', AccessError),
        ('FATAL:  role "u" is not permitted to log in', AccessError),
        ("server does not support SSL, but SSL was required", AccessError),
        ("FATAL:  the database system is starting up", ServiceError),
        ("FATAL:  sorry, too many clients already", ServiceError),
        ("timeout expired", ServiceError),
        ("failed to resolve host 'db.example': Name or service not known", ServiceError),
    ],
)
def test_a_failed_connection_is_sorted_by_what_libpq_says(message: str, expected: type) -> None:
    import psycopg

    assert error_class(psycopg.OperationalError(f"connection failed: {message}")) is expected
