"""Errors a person must act on: one paragraph, the right exit code, never a password."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest

from tests.fixtures.services import throwaway_pg_cluster


@pytest.fixture(scope="module")
def guarded_url():
    """A cluster that checks passwords (the shared one trusts local connections)."""
    with throwaway_pg_cluster(password="right-secret") as url:
        yield url


def test_wrong_password_is_one_paragraph_without_the_secret_and_not_retried(guarded_url, run_tap):
    parts = urlsplit(guarded_url)
    config = {
        "host": parts.hostname,
        "port": parts.port,
        "user": "postgres",
        "password": "wr0ng-s3cret",
        "database": "postgres",
    }
    run = run_tap(config, "--discover")
    assert run.code == 78  # AccessError: a retry cannot fix a wrong password
    assert "password authentication failed" in run.stderr
    assert "Check user and password" in run.stderr
    assert "wr0ng-s3cret" not in run.stderr
    assert "Traceback" not in run.stderr


def test_selected_table_missing_from_the_database_is_a_config_error(source, run_tap):
    source.execute("create table gone (id int primary key)")
    catalog = run_tap(source.config(), "--discover").messages[0]
    for entry in catalog["streams"][0]["metadata"]:
        if entry["breadcrumb"] == []:
            entry["metadata"]["selected"] = True
    source.execute("drop table gone")
    run = run_tap(source.config(), catalog=catalog)
    assert run.code == 78
    assert "selects stream 'public-gone', but its table does not exist" in run.stderr
    assert "Traceback" not in run.stderr


def test_role_without_select_gets_permission_denied_with_a_grant_hint(source, run_tap):
    role = f"reader_{uuid.uuid4().hex[:8]}"
    source.execute(
        f"create role {role} login password 'pw-{role}'; create table secret (id int primary key)"
    )
    try:
        url = urlsplit(source.url)
        config = {
            "sqlalchemy_url": url._replace(
                netloc=f"{role}:pw-{role}@{url.hostname}:{url.port}"
            ).geturl()
        }
        run = run_tap(config)
        assert run.code == 78
        assert "permission denied reading public.secret" in run.stderr
        assert "GRANT SELECT ON public.secret" in run.stderr
        assert f"pw-{role}" not in run.stderr
    finally:
        source.execute(f"drop owned by {role}; drop role {role}")
