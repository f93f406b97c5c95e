"""elt.sdk.sshtunnel through a real sshd on localhost: MeltanoLabs' ``ssh_tunnel`` setting.

The proof that a session went through the bastion is sshd's own log: it names the source
port of each connection it forwarded, which is the port of the plugin's socket to the
tunnel, and the server and port it connected on to.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from elt.errors import AccessError, ConfigError, EltError, ServiceError
from elt.sdk import sshtunnel
from elt.sdk.postgres import connect, connection_properties, describe
from tests.fixtures.services import free_port
from tests.fixtures.sshd import PASSPHRASE, Bastion


@pytest.fixture(autouse=True)
def no_tunnels_left() -> Iterator[None]:
    yield
    sshtunnel.close_tunnels()


def db_config(pg_url: str, tunnel: dict[str, Any], **changes: Any) -> dict[str, Any]:
    parts = urlsplit(pg_url)
    config = {
        "host": parts.hostname,
        "port": parts.port,
        "user": parts.username,
        "database": parts.path.lstrip("/"),
        "ssh_tunnel": tunnel,
    }
    return config | changes


def ends(conn: Any) -> tuple[int, int]:
    """The local and the remote port of a session's socket."""
    with socket.socket(fileno=os.dup(conn.pgconn.socket)) as sock:
        return sock.getsockname()[1], sock.getpeername()[1]


def failure(config: dict[str, Any]) -> EltError:
    with pytest.raises(EltError) as raised:
        connect(config, application="test")
    return raised.value


def test_a_session_goes_through_the_bastion_when_the_tunnel_is_enabled(
    sshd: Bastion, pg_url: str
) -> None:
    config = db_config(pg_url, sshd.tunnel(known_hosts=sshd.host_key_line))
    server_port = urlsplit(pg_url).port

    with connect(config, application="test") as conn:
        assert conn.execute("select 41 + 1").fetchone() == (42,)
        local, remote = ends(conn)

    assert remote != server_port  # the session's socket leads to the tunnel, not the server
    assert (local, "127.0.0.1", server_port) in sshd.forwarded()


def test_without_enable_the_session_connects_directly(sshd: Bastion, pg_url: str) -> None:
    config = db_config(pg_url, sshd.tunnel(enable=False))
    before = len(sshd.forwarded())

    with connect(config, application="test") as conn:
        assert ends(conn)[1] == urlsplit(pg_url).port

    assert len(sshd.forwarded()) == before


def test_sessions_share_one_tunnel_and_a_dead_tunnel_is_reopened(
    sshd: Bastion, pg_url: str
) -> None:
    config = db_config(pg_url, sshd.tunnel())
    with connect(config, application="a") as first, connect(config, application="b") as second:
        assert ends(first)[1] == ends(second)[1]
    (tunnel,) = sshtunnel._tunnels.values()
    tunnel.process.kill()
    tunnel.process.wait()

    with connect(config, application="c") as third:
        assert third.execute("select 1").fetchone() == (1,)
    (reopened,) = sshtunnel._tunnels.values()
    assert reopened.process.pid != tunnel.process.pid


def test_a_server_named_by_sqlalchemy_url_is_reached_through_the_tunnel(
    sshd: Bastion, pg_url: str
) -> None:
    config = {"sqlalchemy_url": pg_url, "ssh_tunnel": sshd.tunnel()}

    with connect(config, application="test") as conn:
        local, _ = ends(conn)

    assert (local, "127.0.0.1", urlsplit(pg_url).port) in sshd.forwarded()


def test_a_key_with_a_passphrase_needs_private_key_password(sshd: Bastion, pg_url: str) -> None:
    tunnel = sshd.tunnel(private_key=sshd.encrypted_key, private_key_password=PASSPHRASE)
    with connect(db_config(pg_url, tunnel), application="test") as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    sshtunnel.close_tunnels()

    error = failure(db_config(pg_url, sshd.tunnel(private_key=sshd.encrypted_key)))
    assert type(error) is AccessError
    assert "private_key_password" in str(error)


def test_a_key_the_bastion_does_not_authorize_is_an_access_error_without_the_key(
    sshd: Bastion, pg_url: str
) -> None:
    error = failure(db_config(pg_url, sshd.tunnel(private_key=sshd.stranger_key)))

    assert type(error) is AccessError
    assert error.exit_code == 78
    assert not error.retriable
    assert "Permission denied" in str(error)
    assert f"{sshd.username}@127.0.0.1:{sshd.port}" in str(error)
    body = "".join(sshd.stranger_key.splitlines()[1:-1])
    assert body[:20] not in str(error)


def test_a_bastion_whose_host_key_is_not_the_known_one_is_refused(
    sshd: Bastion, pg_url: str, tmp_path: Path
) -> None:
    impostor = (
        sshd.host_key_line.rsplit(" ", 1)[0] + " " + _public_half(sshd.stranger_key, tmp_path)
    )
    error = failure(db_config(pg_url, sshd.tunnel(known_hosts=impostor)))

    assert type(error) is AccessError
    assert "known_hosts" in str(error)


def test_a_bastion_that_does_not_answer_is_a_service_error_a_retry_may_fix(
    sshd: Bastion, pg_url: str
) -> None:
    error = failure(db_config(pg_url, sshd.tunnel(port=free_port())))

    assert type(error) is ServiceError
    assert error.exit_code == 75
    assert "Connection refused" in str(error)


def test_a_server_the_bastion_cannot_reach_is_a_service_error_quoting_ssh(
    sshd: Bastion, pg_url: str
) -> None:
    error = failure(db_config(pg_url, sshd.tunnel(), port=free_port()))

    assert type(error) is ServiceError
    assert "the ssh tunnel says: channel" in str(error)
    assert "open failed" in str(error)


def test_an_enabled_tunnel_without_its_settings_is_a_config_error(pg_url: str) -> None:
    error = failure(db_config(pg_url, {"enable": True, "host": "bastion.example"}))

    assert type(error) is ConfigError
    assert "ssh_tunnel.username and ssh_tunnel.private_key are not set" in str(error)


def test_the_tunnel_needs_a_tcp_host_for_the_server(sshd: Bastion) -> None:
    error = failure({"user": "postgres", "ssh_tunnel": sshd.tunnel()})

    assert type(error) is ConfigError
    assert "host" in str(error)


def test_describe_names_the_bastion_and_never_the_key(sshd: Bastion, pg_url: str) -> None:
    where = describe(db_config(pg_url, sshd.tunnel(private_key_password="s3cret-phrase")))

    assert where.endswith(f"via ssh {sshd.username}@127.0.0.1:{sshd.port}")
    assert "s3cret" not in where
    assert "PRIVATE KEY" not in where


def test_the_setting_is_declared_with_its_secrets() -> None:
    (prop,) = [p for p in connection_properties("db") if p.name == "ssh_tunnel"]
    schema = prop.to_dict()["ssh_tunnel"]

    assert set(schema["properties"]) == {
        "enable", "host", "port", "username", "private_key", "private_key_password", "known_hosts"
    }  # fmt: skip
    assert schema["properties"]["private_key"]["secret"] is True
    assert schema["properties"]["private_key_password"]["secret"] is True
    assert schema["additionalProperties"] is False


def test_the_tunnel_ends_with_the_process_that_opened_it_even_when_killed(
    sshd: Bastion, pg_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.json"
    config.write_text(__import__("json").dumps(db_config(pg_url, sshd.tunnel())))
    script = (
        "import json, sys, time; from elt.sdk import sshtunnel; "
        "from elt.sdk.postgres import connect; "
        f"connect(json.load(open({str(config)!r})), application='t'); "
        "print(next(iter(sshtunnel._tunnels.values())).process.pid, flush=True); "
        "time.sleep(60)"
    )
    plugin = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert plugin.stdout is not None
    ssh_pid = int(plugin.stdout.readline())
    plugin.send_signal(signal.SIGKILL)
    plugin.wait()

    deadline = time.monotonic() + 10
    while _running(ssh_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(ssh_pid)


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, reaped by init, does not count)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return status != "Z"


def _public_half(private_key: str, tmp_path: Path) -> str:
    key = tmp_path / "key"
    key.write_text(private_key)
    key.chmod(0o600)
    out = subprocess.run(
        ["ssh-keygen", "-y", "-f", str(key)], capture_output=True, text=True, check=True
    )
    return out.stdout.split()[1]
