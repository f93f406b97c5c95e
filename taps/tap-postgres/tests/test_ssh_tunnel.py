"""tap-postgres through a bastion host: MeltanoLabs' ssh_tunnel, against a real sshd."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.fixtures.sshd import PASSPHRASE


def discrete(url: str, **settings: object) -> dict[str, object]:
    parts = urlsplit(url)
    return {
        "host": parts.hostname,
        "port": parts.port,
        "user": parts.username,
        "database": parts.path.lstrip("/"),
        **settings,
    }


def test_a_sync_through_the_bastion_reads_every_row(source, run_tap, sshd):
    source.execute(
        "create table t (id int primary key); insert into t select generate_series(1, 500)"
    )
    before = len(sshd.forwarded())
    tunnel = sshd.tunnel(private_key=sshd.encrypted_key, private_key_password=PASSPHRASE)

    run = run_tap(discrete(source.url, ssh_tunnel=tunnel | {"known_hosts": sshd.host_key_line}))

    assert run.code == 0, run.stderr
    assert [r["id"] for r in run.records("public-t")] == list(range(1, 501))
    forwarded = sshd.forwarded()[before:]
    assert forwarded
    assert {(host, port) for _, host, port in forwarded} == {
        ("127.0.0.1", urlsplit(source.url).port)
    }
    assert PASSPHRASE not in run.stderr
    assert "PRIVATE KEY" not in run.stderr
    assert "host key" not in run.stderr  # checked against known_hosts: no warning


def test_an_unchecked_host_key_is_warned_of_once(source, run_tap, sshd):
    source.execute("create table t (id int primary key); insert into t values (1)")

    run = run_tap(discrete(source.url, ssh_tunnel=sshd.tunnel()))

    assert run.code == 0, run.stderr
    assert run.stderr.count("does not check the host key") == 1


def test_a_refused_key_is_exit_78_naming_the_bastion(source, run_tap, sshd):
    run = run_tap(discrete(source.url, ssh_tunnel=sshd.tunnel(private_key=sshd.stranger_key)))

    assert run.code == 78
    assert (
        f"could not open the ssh tunnel through {sshd.username}@127.0.0.1:{sshd.port}" in run.stderr
    )
    assert "Traceback" not in run.stderr
