"""Settings → a libpq connection, with errors that say what to fix and never show a password.

``sqlalchemy_url`` wins over the discrete settings, as in MeltanoLabs' target-postgres; its
SQLAlchemy driver suffix (``+psycopg``, ``+psycopg2``…) is dropped because libpq reads the
rest as is. Settings left unset fall back to libpq's own defaults and ``PG*`` environment
variables, so a bare ``{}`` config reaches a local server the way ``psql`` would.

Certificates may be given as PEM text (from a secret store) instead of paths; libpq only
reads files, so the text is written to ``ssl_storage_directory`` or to a private temporary
directory removed at exit, with mode 0600 (libpq refuses a group-readable key).

Every session is set to UTC, so a ``date-time`` without an offset means UTC as in Singer,
and gets a larger ``temp_buffers`` (staging tables then stay in memory for a whole batch).
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from elt.errors import ConfigError, ServiceError

__all__ = ["connect", "conninfo", "describe"]

CONNECT_TIMEOUT_S: Final = 15
APPLICATION_NAME: Final = "target-postgres"
SESSION_SETUP: Final = (
    "SET TIME ZONE 'UTC'",
    "SET temp_buffers = '128MB'",
    "SET work_mem = '64MB'",
)

_URL_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+[A-Za-z0-9_]+)?://", re.IGNORECASE)
_PEM_START = "-----BEGIN"
_HINTS: Final = (
    ("password authentication failed", "check user and password"),
    ("no password supplied", "set password (or put it in sqlalchemy_url or ~/.pgpass)"),
    ("does not exist", "check database and user; the database must exist already"),
    ("no pg_hba.conf entry", "the server does not accept this user/database from this host; "
     "its pg_hba.conf must allow it"),
    ("ssl", "check ssl_enable, ssl_mode and the ssl_* certificate settings"),
    ("certificate", "check ssl_mode and the ssl_* certificate settings"),
)  # fmt: skip
_UNREACHABLE_HINT: Final = (
    "check host and port, and that the server is running and accepts TCP connections from "
    "here; the run can be retried once it is reachable"
)


def conninfo(config: Mapping[str, Any]) -> str:
    """The libpq connection string for the config (it holds the password: never log it)."""
    params: dict[str, Any]
    url = config.get("sqlalchemy_url")
    if url:
        if not _URL_SCHEME.match(url):
            raise ConfigError(
                "sqlalchemy_url must start with postgresql:// (or postgresql+psycopg://), "
                f"got {_redact_url(url)!r}",
                where="target-postgres config",
            )
        try:
            params = conninfo_to_dict(_URL_SCHEME.sub("postgresql://", url, count=1))
        except psycopg.ProgrammingError:
            raise ConfigError(
                f"sqlalchemy_url is not a valid connection URL: {_redact_url(url)!r}",
                where="target-postgres config",
                hint="percent-encode special characters in the user and password",
            ) from None
    else:
        params = {
            "host": config.get("host"),
            "port": config.get("port"),
            "user": config.get("user"),
            "password": config.get("password"),
            "dbname": config.get("database"),
            **_ssl_params(config),
        }
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    params.setdefault("application_name", APPLICATION_NAME)
    return make_conninfo("", **{k: v for k, v in params.items() if v is not None})


def describe(config: Mapping[str, Any]) -> str:
    """Where the config connects, for messages: ``user@host:port/database``, no password."""
    try:
        params = conninfo_to_dict(conninfo(config))
    except ConfigError:
        return "Postgres"
    host = params.get("host") or "localhost"
    port = params.get("port") or "5432"
    user = params.get("user") or os.environ.get("PGUSER") or "(default user)"
    database = params.get("dbname") or os.environ.get("PGDATABASE") or "(default database)"
    return f"{user}@{host}:{port}/{database}"


def connect(config: Mapping[str, Any]) -> psycopg.Connection[Any]:
    """Open a session ready for loading, or raise a :class:`ServiceError` saying why not."""
    info = conninfo(config)
    where = describe(config)
    try:
        conn = psycopg.connect(info, autocommit=False)
    except psycopg.OperationalError as exc:
        reason = _reason(exc)
        raise ServiceError(
            f"could not connect to Postgres at {where}: {reason}",
            hint=_hint(reason),
        ) from None
    with conn.cursor() as cur:
        for statement in SESSION_SETUP:
            cur.execute(statement)
    conn.commit()
    return conn


def _reason(exc: BaseException) -> str:
    """libpq's message, on one line (it never contains the password)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines) or type(exc).__name__


def _hint(reason: str) -> str:
    lowered = reason.lower()
    for needle, hint in _HINTS:
        if needle in lowered:
            return hint
    return _UNREACHABLE_HINT


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def _ssl_params(config: Mapping[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if config.get("ssl_enable"):
        params["sslmode"] = config.get("ssl_mode") or "verify-full"
        params["sslrootcert"] = _certificate_file(config, "ssl_certificate_authority")
    if config.get("ssl_client_certificate_enable"):
        params["sslcert"] = _certificate_file(config, "ssl_client_certificate")
        params["sslkey"] = _certificate_file(config, "ssl_client_private_key")
        missing = [k for k in ("sslcert", "sslkey") if params[k] is None]
        if missing:
            raise ConfigError(
                "ssl_client_certificate_enable is true but ssl_client_certificate or "
                "ssl_client_private_key is not set",
                where="target-postgres config",
            )
    return params


def _certificate_file(config: Mapping[str, Any], setting: str) -> str | None:
    """A path libpq can read for a certificate setting given as a path or as PEM text."""
    value = config.get(setting)
    if not value:
        return None
    if not value.lstrip().startswith(_PEM_START):
        return str(Path(value).expanduser())
    directory = config.get("ssl_storage_directory")
    folder = Path(directory).expanduser() if directory else _private_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{setting}-{hashlib.sha256(value.encode()).hexdigest()[:12]}.pem"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(value)
    return str(path)


@functools.cache
def _private_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="target-postgres-ssl-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path
