"""target-postgres through a bastion host: MeltanoLabs' ssh_tunnel (the shared
elt.sdk.postgres session), against a real sshd."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.fixtures.sshd import PASSPHRASE
from tests.fixtures.targets import run_executable


def test_a_load_through_the_bastion_commits_every_row(
    pg_database: str, sshd: Any, db: Any, m: Any, tmp_path: Path
) -> None:
    parts = urlsplit(pg_database)
    tunnel = sshd.tunnel(private_key=sshd.encrypted_key, private_key_password=PASSPHRASE)
    config = {
        "host": parts.hostname,
        "port": parts.port,
        "user": parts.username,
        "database": parts.path.lstrip("/"),
        "ssh_tunnel": tunnel | {"known_hosts": sshd.host_key_line},
    }
    before = len(sshd.forwarded())
    messages = [m.schema("t", {"id": {"type": "integer"}})]
    messages += [m.record("t", {"id": n}) for n in range(1, 301)] + [m.state({"at": 300})]
    run = run_executable("target-postgres", config, m.lines(messages), tmp_path)

    assert run.code == 0, run.stderr
    assert run.states == [{"at": 300}]
    assert db.rows("SELECT count(*), max(id) FROM t") == [(300, 300)]
    assert {(host, port) for _, host, port in sshd.forwarded()[before:]} == {
        ("127.0.0.1", parts.port)
    }
    assert PASSPHRASE not in run.stderr
