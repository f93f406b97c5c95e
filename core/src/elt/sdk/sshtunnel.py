"""An SSH tunnel to a Postgres server behind a bastion host: MeltanoLabs' ``ssh_tunnel``.

The setting is MeltanoLabs tap-postgres's object (``enable``, ``host``, ``port``,
``username``, ``private_key``, ``private_key_password``) plus ``known_hosts``, to check the
bastion's host key. :mod:`elt.sdk.postgres` connects through the tunnel when ``enable`` is
true, so tap-postgres and target-postgres both have it.

The tunnel is OpenSSH's own client, ``ssh -N -L 127.0.0.1:<free port>:<db host>:<db port>``,
not paramiko (MeltanoLabs' choice): every byte of a bulk COPY passes through the tunnel, and
``ssh`` moves it in C in a process of its own, on another core, where paramiko would copy
it through Python threads competing with the plugin for the GIL. OpenSSH also reads every
key format and cipher a bastion may want, and adds no Python dependency. It needs the
``ssh`` client on ``PATH`` (``openssh-client``).

The key and its passphrase never reach a command line, a log or an error: the key is
written to a file of mode 0600 in a private directory (removed at exit) — or used in place
when the setting is a path — and the passphrase is handed to ``ssh`` by an ``SSH_ASKPASS``
script reading another 0600 file. ``ssh`` reads no user configuration (``-F /dev/null``),
no agent and no password prompt. The tunnel is ready when ``ssh`` runs its
``LocalCommand``, which it does only after the local forward listens (and exits first if it
cannot, ``ExitOnForwardFailure``). It is opened on first use, shared by every session of
the process, reopened if it died, and closed at exit; on Linux it also ends with the
process if that is killed (``PR_SET_PDEATHSIG``, when opened from the main thread).

A tunnel that cannot open is one error: the bastion refusing the key or a host key that
does not match (:class:`~elt.errors.AccessError`, exit 78), a bastion that does not answer
(:class:`~elt.errors.ServiceError`, exit 75).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import hashlib
import logging
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from singer_sdk import typing as th

from elt.errors import AccessError, ConfigError, EltError, ServiceError

__all__ = [
    "OutputMark",
    "Tunnel",
    "TunnelSettings",
    "close_tunnels",
    "open_tunnel",
    "ssh_tunnel_property",
    "tunnel_settings",
]

CONNECT_TIMEOUT_S: Final = 15
READY_TIMEOUT_S: Final = 30.0
_READY: Final = b"elt-ssh-tunnel-ready"
_BIND_ATTEMPTS: Final = 3
_PR_SET_PDEATHSIG: Final = 1
_PEM_START: Final = "-----BEGIN"
_WHERE: Final = "ssh_tunnel"
_ACCESS_OUTPUT: Final = (
    "permission denied",
    "host key verification failed",
    "remote host identification has changed",
    "load key",
    "invalid format",
    "incorrect passphrase",
    "unprotected private key file",
    "bad permissions",
    "too many authentication failures",
)
_KEY_HINT: Final = (
    "check ssh_tunnel.username and that the public half of ssh_tunnel.private_key is in the "
    "bastion's authorized_keys (and ssh_tunnel.private_key_password, if the key has a "
    "passphrase)"
)
_HOST_KEY_HINT: Final = (
    "ssh_tunnel.known_hosts must hold the bastion's host key as `ssh-keyscan -p PORT HOST` "
    "prints it"
)
# ssh's options besides the host key's: the key alone (no agent, password or prompt), a
# forward that must listen, a dead bastion noticed, and the ready signal (LocalCommand).
_OPTIONS: Final = {
    "IdentitiesOnly": "yes",
    "IdentityAgent": "none",
    "PreferredAuthentications": "publickey",
    "PasswordAuthentication": "no",
    "KbdInteractiveAuthentication": "no",
    "GlobalKnownHostsFile": "/dev/null",
    "ExitOnForwardFailure": "yes",
    "ConnectTimeout": str(CONNECT_TIMEOUT_S),
    "ServerAliveInterval": "15",
    "ServerAliveCountMax": "3",
    "LogLevel": "INFO",  # INFO: says why a forwarded connection failed
    "PermitLocalCommand": "yes",
    "LocalCommand": f"echo {_READY.decode()}",
}
_UNREACHABLE_HINT: Final = (
    "check ssh_tunnel.host and ssh_tunnel.port, and that the bastion accepts SSH from here; "
    "the run can be retried once it is reachable"
)

logger = logging.getLogger(__name__)


def ssh_tunnel_property() -> th.Property[Any]:
    """The ``ssh_tunnel`` setting's JSON Schema (MeltanoLabs' keys, and ``known_hosts``)."""
    return th.Property(
        "ssh_tunnel",
        th.ObjectType(
            th.Property(
                "enable",
                th.BooleanType,
                default=False,
                description="Connect through an SSH tunnel to the bastion host below.",
            ),
            th.Property("host", th.StringType, description="The bastion's host name or address."),
            th.Property("port", th.IntegerType, default=22, description="The bastion's SSH port."),
            th.Property("username", th.StringType, description="User to log in to the bastion as."),
            th.Property(
                "private_key",
                th.StringType,
                secret=True,
                description="Private key for the bastion: the key text (OpenSSH or PEM) or a "
                "file path.",
            ),
            th.Property(
                "private_key_password",
                th.StringType,
                secret=True,
                description="The private key's passphrase; unset for a key without one.",
            ),
            th.Property(
                "known_hosts",
                th.StringType,
                description="The bastion's host key, as lines `ssh-keyscan -p PORT HOST` "
                "prints; the tunnel refuses any other. Unset: the key is not checked "
                "(MeltanoLabs' behaviour), with a warning.",
            ),
            additional_properties=False,
        ),
        description="Reach the database through an SSH tunnel (a bastion host). host and "
        "port (or sqlalchemy_url's) then name the database server as the bastion sees it.",
    )


@dataclass(frozen=True)
class TunnelSettings:
    """A checked ``ssh_tunnel`` setting (hashable: tunnels are shared by settings)."""

    host: str
    port: int
    username: str
    private_key: str = field(repr=False)
    private_key_password: str | None = field(default=None, repr=False)
    known_hosts: str | None = None

    def describe(self) -> str:
        """``username@host:port`` of the bastion, for messages."""
        return f"{self.username}@{self.host}:{self.port}"


def tunnel_settings(config: Mapping[str, Any]) -> TunnelSettings | None:
    """The tunnel the config asks for, None when ``ssh_tunnel.enable`` is not true."""
    raw = config.get(_WHERE)
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError(
            "expected an object with enable, host, username, private_key", where=_WHERE
        )
    if not raw.get("enable"):
        return None
    missing = [f"{_WHERE}.{key}" for key in ("host", "username", "private_key") if not raw.get(key)]
    if missing:
        raise ConfigError(
            f"ssh_tunnel.enable is true but {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set",
            where=_WHERE,
            hint="set them, or set ssh_tunnel.enable to false to connect directly",
        )
    port = raw.get("port") or 22
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"expected a TCP port, got {port!r}", where=f"{_WHERE}.port")
    return TunnelSettings(
        host=str(raw["host"]),
        port=port,
        username=str(raw["username"]),
        private_key=str(raw["private_key"]),
        private_key_password=raw.get("private_key_password") or None,
        known_hosts=raw.get("known_hosts") or None,
    )


@dataclass(frozen=True)
class OutputMark:
    """A place in a tunnel's error output: what ``ssh`` said after it is news."""

    path: Path
    offset: int

    def new_output(self) -> str:
        """What ``ssh`` wrote since the mark, on one line ("" for nothing)."""
        try:
            with self.path.open("rb") as log:
                log.seek(self.offset)
                text = log.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return _one_line(text)


@dataclass
class Tunnel:
    """A running ``ssh -L``: connect to ``127.0.0.1:local_port`` to reach the server."""

    settings: TunnelSettings
    process: subprocess.Popen[bytes]
    local_port: int
    errors: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def mark(self) -> OutputMark:
        """The current end of ``ssh``'s error output."""
        try:
            return OutputMark(self.errors, self.errors.stat().st_size)
        except OSError:
            return OutputMark(self.errors, 0)

    def close(self) -> None:
        """Stop ``ssh`` (sessions through the tunnel end with it)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


_tunnels: dict[tuple[TunnelSettings, str, int], Tunnel] = {}
_lock = threading.Lock()


def open_tunnel(settings: TunnelSettings, host: str, port: int) -> Tunnel:
    """The running tunnel to ``host:port`` (as the bastion sees it) for these settings,
    started now if there is none or it died."""
    key = (settings, host, port)
    with _lock:
        tunnel = _tunnels.get(key)
        if tunnel is not None and tunnel.alive():
            return tunnel
        if tunnel is not None:
            logger.warning(
                "The ssh tunnel through %s ended (%s); opening it again",
                settings.describe(),
                _one_line(tunnel.errors.read_text(errors="replace")) or "no message",
            )
            tunnel.close()
        tunnel = _start(settings, host, port)
        _tunnels[key] = tunnel
        return tunnel


def close_tunnels() -> None:
    """Stop every tunnel this process opened."""
    with _lock:
        for tunnel in _tunnels.values():
            tunnel.close()
        _tunnels.clear()


def _start(settings: TunnelSettings, host: str, port: int) -> Tunnel:
    ssh = shutil.which("ssh")
    if ssh is None:
        raise ConfigError(
            "ssh_tunnel needs OpenSSH's ssh client, and there is no `ssh` on PATH",
            where=_WHERE,
            hint="install it (apt-get install openssh-client), or set ssh_tunnel.enable to false",
        )
    files = _private_dir()
    env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
    env |= {"SSH_ASKPASS": str(_askpass(files, settings)), "SSH_ASKPASS_REQUIRE": "force"}
    for attempt in range(1, _BIND_ATTEMPTS + 1):
        local_port = _free_port()
        errors = files / f"ssh-{uuid.uuid4().hex[:8]}.log"
        with errors.open("wb") as log:
            process = subprocess.Popen(
                _argv(ssh, settings, files=files, local_port=local_port, host=host, port=port),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                preexec_fn=_die_with_parent(),  # noqa: PLW1509 - no locks taken in it
            )
        tunnel = Tunnel(settings, process, local_port, errors)
        if _ready(tunnel, settings):
            return tunnel
        tunnel.close()
        said = errors.read_text(errors="replace")
        if "address already in use" in said.lower() and attempt < _BIND_ATTEMPTS:
            continue  # another process took the free port first
        raise _failure(said, settings)
    raise AssertionError("unreachable")  # pragma: no cover


def _argv(
    ssh: str, settings: TunnelSettings, *, files: Path, local_port: int, host: str, port: int
) -> list[str]:
    known = _known_hosts(files, settings)
    options = {
        **_OPTIONS,
        "StrictHostKeyChecking": "yes" if known else "no",
        "UserKnownHostsFile": str(known) if known else "/dev/null",
    }
    target = f"[{host}]" if ":" in host else host
    return [ssh, "-F", "/dev/null", "-N", "-p", str(settings.port), "-l", settings.username,
            "-i", str(_key_file(files, settings)),
            *(arg for name, value in options.items() for arg in ("-o", f"{name}={value}")),
            "-L", f"127.0.0.1:{local_port}:{target}:{port}", "--", settings.host]  # fmt: skip


def _ready(tunnel: Tunnel, settings: TunnelSettings) -> bool:
    """Wait for ``ssh`` to say the forward listens (True) or to exit (False)."""
    out = tunnel.process.stdout
    assert out is not None
    deadline = time.monotonic() + READY_TIMEOUT_S
    said = b""
    while (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([out], [], [], left)
        if not readable:
            break
        chunk = os.read(out.fileno(), 4096)
        if not chunk:
            tunnel.process.wait()
            return False
        said += chunk
        if _READY in said:
            return True
    tunnel.close()
    raise ServiceError(
        f"the ssh tunnel through {settings.describe()} did not open within {READY_TIMEOUT_S:.0f} s",
        where=_WHERE,
        hint=_UNREACHABLE_HINT,
    )


def _failure(said: str, settings: TunnelSettings) -> EltError:
    text = _one_line(said) or "ssh exited without a message"
    lowered = said.lower()
    message = f"could not open the ssh tunnel through {settings.describe()}: {text}"
    if "host key" in lowered or "host identification" in lowered:
        return AccessError(message, where=_WHERE, hint=_HOST_KEY_HINT)
    if any(needle in lowered for needle in _ACCESS_OUTPUT):
        return AccessError(message, where=_WHERE, hint=_KEY_HINT)
    return ServiceError(message, where=_WHERE, hint=_UNREACHABLE_HINT)


def _one_line(text: str) -> str:
    """The last few lines ``ssh`` wrote, joined, without its routine notices."""
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.startswith("Warning: Permanently added")
    ]
    return " ".join(lines[-3:])


def _key_file(files: Path, settings: TunnelSettings) -> Path:
    """A file ``ssh -i`` reads: the setting's path, or its key text written with mode 0600."""
    key = settings.private_key
    if not key.lstrip().startswith(_PEM_START):
        return Path(key).expanduser()
    text = key.strip() + "\n"  # OpenSSH rejects a key without its final line break
    return _private_file(files, "key", text)


def _askpass(files: Path, settings: TunnelSettings) -> Path:
    """An ``SSH_ASKPASS`` program: prints the passphrase (read from a 0600 file), or fails
    at once when there is none, so ``ssh`` never waits for one."""
    if settings.private_key_password is None:
        body = "#!/bin/sh\nexit 1\n"
    else:
        secret = _private_file(files, "passphrase", settings.private_key_password)
        body = f"#!/bin/sh\nexec cat '{secret}'\n"
    path = _private_file(files, "askpass", body)
    path.chmod(0o700)
    return path


def _known_hosts(files: Path, settings: TunnelSettings) -> Path | None:
    if settings.known_hosts is None:
        _warn_unchecked(settings.describe())
        return None
    return _private_file(files, "known_hosts", settings.known_hosts.strip() + "\n")


@functools.cache
def _warn_unchecked(bastion: str) -> None:
    logger.warning(
        "The ssh tunnel does not check the host key of %s: set ssh_tunnel.known_hosts to "
        "what `ssh-keyscan` prints for it to refuse an impostor",
        bastion,
    )


def _private_file(files: Path, kind: str, text: str) -> Path:
    path = files / f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    return path


@functools.cache
def _private_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="elt-ssh-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    atexit.register(close_tunnels)  # runs first: atexit is last in, first out
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> Callable[[], None] | None:
    """On Linux, a pre-exec hook that makes ``ssh`` get SIGTERM when this process dies
    (even by SIGKILL, which skips atexit). The kernel ties it to the creating thread, so
    only the main thread sets it; tunnels opened elsewhere are closed at exit only."""
    if not sys.platform.startswith("linux"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    with contextlib.suppress(OSError, AttributeError):
        prctl = ctypes.CDLL(None, use_errno=True).prctl
        parent = os.getpid()

        def die_with_parent() -> None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
            if os.getppid() != parent:  # the parent died before the call
                os._exit(1)

        return die_with_parent
    return None
