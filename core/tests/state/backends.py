"""Every state backend, on its real server, as one parametrisable test fixture.

``backend(request, ...)`` gives a :class:`Backend` for the name in ``request.param``: the
``state_backend`` URL and settings a project would write, the environment variables its
client reads (set for the test, and handed to subprocesses), and a fresh bucket, container
or database from the fixtures in ``tests.fixtures.services``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from elt.state import LocalStateStore, ObjectStateStore, StateStore, open_state_store
from elt.state.ids import state_id_filename
from tests.fixtures.services import unique_name

NAMES = ("local", "s3", "gcs", "azure", "postgres")
LEASED = ("s3", "gcs", "azure", "postgres")
# moto only needs some keys and the region it serves
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass
class Backend:
    """One configured state backend, as plugins.yml would name it."""

    name: str
    root: Path
    url: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def leased(self) -> bool:
        return self.name in LEASED

    def open(self, lease_seconds: float | None = None) -> StateStore:
        settings = dict(self.settings)
        if lease_seconds is not None and self.leased:
            settings["lease_seconds"] = lease_seconds
        return open_state_store(self.root, self.url, settings)

    def configure(self, project: Path) -> None:
        """Make the project in ``project`` (whose plugins.yml is JSON) use this backend."""
        if self.url is None:
            return
        path = project / "plugins.yml"
        document = json.loads(path.read_text())
        document.update(state_backend=self.url, state_backend_settings=self.settings)
        path.write_text(json.dumps(document, indent=2))

    def corrupt(self, store: StateStore, state_id: str) -> None:
        """Store something that is not a state object, behind the store's back."""
        if isinstance(store, LocalStateStore):
            store.path(state_id).write_text('{"bookmarks": ')
        elif isinstance(store, ObjectStateStore):
            store.bucket.write(state_id_filename(state_id) + ".json", b'{"bookmarks": ')
        else:
            import psycopg
            from psycopg import sql

            update = sql.SQL("UPDATE {}.elt_state SET value = '[1]' WHERE state_id = %s")
            with psycopg.connect(str(self.url), autocommit=True) as connection:
                connection.execute(
                    update.format(sql.Identifier(self.settings["schema"])), (state_id,)
                )


def make_backend(
    name: str, request: pytest.FixtureRequest, root: Path, monkeypatch: pytest.MonkeyPatch
) -> Backend:
    """The backend called ``name``, on a fresh bucket/container/database of its server."""
    if name == "local":
        backend = Backend(name, root)
    elif name == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        backend = Backend(
            name,
            root,
            f"s3://{bucket.name}/elt/state",
            {"endpoint_url": bucket.endpoint_url},
            dict(AWS_ENV),
        )
    elif name == "gcs":
        bucket = request.getfixturevalue("gcs_bucket")
        env = {"STORAGE_EMULATOR_HOST": bucket.endpoint_url}
        backend = Backend(name, root, f"gs://{bucket.name}/elt/state", {}, env)
    elif name == "azure":
        container = request.getfixturevalue("azure_container")
        env = {"AZURE_STORAGE_CONNECTION_STRING": container.conn_str}
        backend = Backend(name, root, f"azure://{container.name}/elt/state", {}, env)
    else:  # a schema of its own is much cheaper than a database of its own
        url, schema = request.getfixturevalue("pg_url"), unique_name("elt_state", "_")
        request.addfinalizer(lambda: _drop_schema(url, schema))
        backend = Backend(name, root, url, {"schema": schema})
    for key, value in backend.env.items():
        monkeypatch.setenv(key, value)
    return backend


def _drop_schema(url: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )


HOLD_LOCK = """
import json, sys, time
from pathlib import Path
from elt.state import open_state_store

root, url, settings = sys.argv[1], sys.argv[2] or None, json.loads(sys.argv[3])
store = open_state_store(Path(root), url, settings)
with store.lock("dev:a-to-b", holder="the other process"):
    print("locked", flush=True)
    time.sleep(60)
"""


def hold_lock_in_process(backend: Backend, lease_seconds: float) -> subprocess.Popen[str]:
    """A process holding ``dev:a-to-b`` until killed; returns once it holds it."""
    settings = dict(backend.settings)
    if backend.leased:
        settings["lease_seconds"] = lease_seconds
    argv = [
        sys.executable,
        "-c",
        HOLD_LOCK,
        str(backend.root),
        backend.url or "",
        json.dumps(settings),
    ]
    holder = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    assert holder.stdout.readline() == "locked\n"
    return holder
