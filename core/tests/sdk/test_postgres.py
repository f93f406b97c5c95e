"""Settings → libpq connection strings; what errors show (never a password)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from elt.errors import ConfigError
from elt.sdk.postgres import conninfo as plugin_conninfo
from elt.sdk.postgres import describe


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
