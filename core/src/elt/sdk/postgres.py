"""A Postgres session from plugin settings, shared by tap-postgres and target-postgres.

The settings are MeltanoLabs' (``host``, ``port``, ``user``, ``password``, ``database``,
``sqlalchemy_url``, ``ssl_*``): :func:`connection_properties` gives their JSON Schema, so
both plugins declare them the same way. ``sqlalchemy_url`` wins over the discrete settings;
its SQLAlchemy driver suffix (``+psycopg``, ``+psycopg2``…) is dropped because libpq reads
the rest as is. Settings left unset fall back to libpq's defaults and ``PG*`` environment
variables, so a bare ``{}`` reaches a local server the way ``psql`` would.

Certificates may be given as PEM text (from a secret store) instead of paths; libpq only
reads files, so the text goes to ``ssl_storage_directory`` or a private temporary directory
removed at exit, with mode 0600 (libpq refuses a group-readable key).

Failures are sorted once, here, for both plugins (:func:`error_class`): what a person must
fix — credentials refused or missing, a role or database that does not exist, access denied
— is an :class:`~elt.errors.AccessError` (exit 78, not retried); what a later attempt may
get past — an unreachable or starting server, a timeout, a lost connection, exhausted
resources — a :class:`~elt.errors.ServiceError` (exit 75, retried by ``elt run
--retries``). A failed connection is one such error with libpq's reason, a hint of what to
fix, and where (``user@host:port/database``) — never the password.

``ssh_tunnel`` (MeltanoLabs' setting) reaches a server behind a bastion host through
:mod:`elt.sdk.sshtunnel`; :func:`connect` opens the tunnel and connects through it.

psycopg is the plugins' dependency, not elt's: it is imported inside the functions that use
it.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit, urlunsplit

from singer_sdk import typing as th

from elt.errors import AccessError, ConfigError, EltError, ServiceError
from elt.sdk import sshtunnel

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "connect",
    "connection_properties",
    "conninfo",
    "describe",
    "error_class",
    "reason",
]

CONNECT_TIMEOUT_S: Final = 15
_IGNORED: Final = "Ignored when sqlalchemy_url is set."
_URL_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+[A-Za-z0-9_]+)?://", re.IGNORECASE)
_PEM_START: Final = "-----BEGIN"
_HINTS: Final = (
    ("password authentication failed", "check user and password"),
    ("no password supplied", "set password (or put it in sqlalchemy_url or ~/.pgpass)"),
    ("does not exist", "check database and user; the database must exist already"),
    ("not permitted to log in", "the role needs the LOGIN attribute: ALTER ROLE … LOGIN"),
    ("permission denied for database", "grant it: GRANT CONNECT ON DATABASE … TO …"),
    ("no pg_hba.conf entry", "the server does not accept this user/database from this host; "
     "its pg_hba.conf must allow it"),
    ("ssl", "check ssl_enable, ssl_mode and the ssl_* certificate settings"),
    ("certificate", "check ssl_mode and the ssl_* certificate settings"),
)  # fmt: skip
_ACCESS_SQLSTATES: Final = frozenset({"3D000", "57P04", "42501"})
_SERVICE_CLASSES: Final = frozenset({"08", "53", "57", "58", "40"})
_NOT_SERVICE: Final = frozenset({"57P04", "40002"})
# What libpq says when a connection is refused for a reason a retry cannot fix.
_ACCESS_MESSAGES: Final = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"authentication failed",
        r"no password supplied",
        r"password is required",
        r"no pg_hba\.conf entry",
        r"pg_hba\.conf rejects",
        r'role "[^"]*" does not exist',
        r'database "[^"]*" does not exist',
        r"is not permitted to log in",
        r"permission denied for database",
        r"certificate",
        r"does not support SSL",
        r"sslmode value",
        r"invalid sslmode",
    )
)
_UNREACHABLE_HINT: Final = (
    "check host and port, and that the server is running and accepts TCP connections from "
    "here; the run can be retried once it is reachable"
)
_ACCESS_HINT: Final = "check user, password and database, and the server's pg_hba.conf"


def connection_properties(database: str) -> list[th.Property[Any]]:
    """The connection settings' JSON Schema; ``database`` says what the database is for."""
    return [
        th.Property(
            "host", th.StringType, description=f"Postgres host name or address. {_IGNORED}"
        ),
        th.Property("port", th.IntegerType, default=5432, description=f"Postgres port. {_IGNORED}"),
        th.Property("user", th.StringType, description=f"User to connect as. {_IGNORED}"),
        th.Property(
            "password", th.StringType, secret=True, description=f"The user's password. {_IGNORED}"
        ),
        th.Property("database", th.StringType, description=f"{database} {_IGNORED}"),
        th.Property(
            "sqlalchemy_url",
            th.StringType,
            secret=True,
            description="A connection URL, postgresql://user:password@host:port/database?options. "
            "SQLAlchemy forms (postgresql+psycopg://, postgresql+psycopg2://) are accepted. "
            "Overrides host, port, user, password, database and the ssl_* settings.",
        ),
        sshtunnel.ssh_tunnel_property(),
        th.Property(
            "ssl_enable",
            th.BooleanType,
            default=False,
            description=f"Verify the server's identity over TLS (see ssl_mode). {_IGNORED}",
        ),
        th.Property(
            "ssl_mode",
            th.StringType,
            default="verify-full",
            allowed_values=["disable", "allow", "prefer", "require", "verify-ca", "verify-full"],
            description=f"libpq sslmode used when ssl_enable is true. {_IGNORED}",
        ),
        th.Property(
            "ssl_certificate_authority",
            th.StringType,
            description="CA certificate that signed the server's: a file path or the PEM text "
            f"itself. {_IGNORED}",
        ),
        th.Property(
            "ssl_client_certificate_enable",
            th.BooleanType,
            default=False,
            description=f"Authenticate with a client certificate. {_IGNORED}",
        ),
        th.Property(
            "ssl_client_certificate",
            th.StringType,
            description=f"Client certificate: a file path or the PEM text. {_IGNORED}",
        ),
        th.Property(
            "ssl_client_private_key",
            th.StringType,
            secret=True,
            description=f"The client certificate's key: a file path or the PEM text. {_IGNORED}",
        ),
        th.Property(
            "ssl_storage_directory",
            th.StringType,
            description="Directory for certificates given as PEM text. Unset: a private "
            "temporary directory removed when the plugin exits.",
        ),
    ]


def conninfo(config: Mapping[str, Any], *, application: str) -> str:
    """The libpq connection string for the config (it holds the password: never log it)."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params: dict[str, Any]
    url = config.get("sqlalchemy_url")
    if url:
        if not _URL_SCHEME.match(url):
            raise ConfigError(
                "sqlalchemy_url must start with postgresql:// (or postgresql+psycopg://), "
                f"got {_redact_url(url)!r}",
                where=f"{application} config",
            )
        try:
            params = conninfo_to_dict(_URL_SCHEME.sub("postgresql://", url, count=1))
        except ProgrammingError:
            raise ConfigError(
                f"sqlalchemy_url is not a valid connection URL: {_redact_url(url)!r}",
                where=f"{application} config",
                hint="percent-encode special characters in the user and password",
            ) from None
    else:
        params = {
            "host": config.get("host"),
            "port": config.get("port"),
            "user": config.get("user"),
            "password": config.get("password"),
            "dbname": config.get("database"),
            **_ssl_params(config, application),
        }
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    params.setdefault("application_name", application)
    return make_conninfo("", **{k: v for k, v in params.items() if v is not None})


def describe(config: Mapping[str, Any]) -> str:
    """Where the config connects, for messages: ``user@host:port/database``, no password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(conninfo(config, application="elt"))
    except ConfigError:
        return "Postgres"
    host = params.get("host") or "localhost"
    port = params.get("port") or "5432"
    user = params.get("user") or os.environ.get("PGUSER") or "(default user)"
    database = params.get("dbname") or os.environ.get("PGDATABASE") or "(default database)"
    where = f"{user}@{host}:{port}/{database}"
    try:
        tunnel = sshtunnel.tunnel_settings(config)
    except ConfigError:
        return where
    return f"{where} via ssh {tunnel.describe()}" if tunnel is not None else where


def connect(
    config: Mapping[str, Any], *, application: str, session: Iterable[str] = ()
) -> psycopg.Connection[Any]:
    """A session that ran the ``session`` statements (and committed them), or the
    :func:`error_class` error saying why there is none. It is left in transaction mode.

    With ``ssh_tunnel.enable`` the session goes through the bastion host's tunnel (opened
    on first use, reopened if it died, shared by every session of the process)."""
    import psycopg

    info = conninfo(config, application=application)
    tunnel = sshtunnel.tunnel_settings(config)
    mark = None
    if tunnel is not None:
        info, mark = _through_tunnel(info, tunnel)
    try:
        conn = psycopg.connect(info, autocommit=True)
    except psycopg.Error as exc:
        why = reason(exc)
        if mark is not None and (said := mark.new_output()):
            why = f"{why} (the ssh tunnel says: {said})"
        kind = error_class(exc)
        raise kind(
            f"could not connect to Postgres at {describe(config)}: {why}",
            hint=_hint(why, access=issubclass(kind, AccessError)),
        ) from None
    for statement in session:
        conn.execute(statement)
    conn.autocommit = False
    return conn


def error_class(exc: BaseException) -> type[EltError]:
    """The error class for a failure of Postgres: the one rule both Postgres plugins follow.

    By SQLSTATE when the server sent one: class 28 (credentials refused, role may not log
    in), 3D000 (no such database), 57P04 (database dropped) and 42501 (permission denied)
    → :class:`AccessError`; classes 08 (connection), 53 (out of resources), 57 (shutting
    down, starting up, statement timeout), 58 (system I/O), 40 (serialization failure,
    deadlock; not 40002) and 55P03 (lock not available) → :class:`ServiceError`; any other
    SQLSTATE is a statement the server refused, which a setting made wrong (a
    ``custom_where_clauses`` entry, a renamed table) → :class:`ConfigError`; a plugin
    checks the data errors it knows of (a target's bad value) before asking here.

    A failed connection carries no SQLSTATE (libpq keeps only the message), so its
    message decides: refused or missing credentials, no such role or database, a
    pg_hba.conf refusal or a certificate problem → :class:`AccessError`, anything else
    (refused or timed-out TCP, a server starting up, too many clients, a name that does
    not resolve) → :class:`ServiceError`. A server whose messages are not in English is
    classified as unreachable: retried, never wrongly given up on.
    """
    state = getattr(exc, "sqlstate", None)
    if isinstance(state, str) and len(state) == 5:
        if state.startswith("28") or state in _ACCESS_SQLSTATES:
            return AccessError
        if (state[:2] in _SERVICE_CLASSES and state not in _NOT_SERVICE) or state == "55P03":
            return ServiceError
        return ConfigError
    text = str(exc)
    if any(pattern.search(text) for pattern in _ACCESS_MESSAGES):
        return AccessError
    return ServiceError


def reason(exc: BaseException) -> str:
    """libpq's message on one line (it never contains the password)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines) or type(exc).__name__


def _through_tunnel(
    info: str, settings: sshtunnel.TunnelSettings
) -> tuple[str, sshtunnel.OutputMark]:
    """The conninfo that reaches the server through its bastion, and a mark in the
    tunnel's error output (to quote what it says if this connection fails).

    ``host`` stays the server's name (TLS verifies it, ``.pgpass`` is looked up by it);
    ``hostaddr`` and ``port`` point at the tunnel's local end.
    """
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(info)
    host = str(params.get("hostaddr") or params.get("host") or "")
    port = str(params.get("port") or 5432)
    if not host or host.startswith("/") or "," in host or not port.isdigit():
        raise ConfigError(
            "ssh_tunnel needs the database server's host and port as the bastion sees them, "
            f"got {host or 'no host'!r} and {port!r}",
            where="ssh_tunnel",
            hint="set host and port (or those of sqlalchemy_url) to one TCP host and port, "
            "e.g. the server's private address",
        )
    tunnel = sshtunnel.open_tunnel(settings, host, int(port))
    params.update(hostaddr="127.0.0.1", port=tunnel.local_port)
    params.setdefault("host", host)
    return make_conninfo("", **params), tunnel.mark()


def _hint(why: str, *, access: bool) -> str:
    lowered = why.lower()
    otherwise = _ACCESS_HINT if access else _UNREACHABLE_HINT
    return next((hint for needle, hint in _HINTS if needle in lowered), otherwise)


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{netloc}"))


def _ssl_params(config: Mapping[str, Any], application: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if config.get("ssl_enable"):
        params["sslmode"] = config.get("ssl_mode") or "verify-full"
        params["sslrootcert"] = _certificate_file(config, "ssl_certificate_authority")
    if config.get("ssl_client_certificate_enable"):
        params["sslcert"] = _certificate_file(config, "ssl_client_certificate")
        params["sslkey"] = _certificate_file(config, "ssl_client_private_key")
        if params["sslcert"] is None or params["sslkey"] is None:
            raise ConfigError(
                "ssl_client_certificate_enable is true but ssl_client_certificate or "
                "ssl_client_private_key is not set",
                where=f"{application} config",
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
    path = Path(tempfile.mkdtemp(prefix="elt-postgres-ssl-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path
