"""`elt run tap-csv target-postgres` keeping its bookmark in S3 (moto), not in the project.

That a run continues from a remote bookmark is checked for every backend with the toy
plugins (core/tests/run/test_runner_state.py); this is the same with the real plugins.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.cli import run_elt
from tests.fixtures.services import S3Bucket, s3_client

CSV = "id,name,updated_at\n1,one,2026-01-01T00:00:00Z\n2,two,2026-01-02T00:00:00Z\n"
STATE_ID = "default:tap-csv-to-target-postgres"


def test_the_bookmark_of_a_run_lands_in_the_bucket_not_in_the_project(
    tmp_path: Path, pg_database: str, s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("STATE_BUCKET", s3_bucket.name)
    project = tmp_path / "p"
    (project / "data").mkdir(parents=True)
    (project / "data" / "orders.csv").write_text(CSV)
    (project / "plugins.yml").write_text(
        f"""version: 1
state_backend: s3://${{STATE_BUCKET}}/elt/state
state_backend_settings:
  endpoint_url: {s3_bucket.endpoint_url}
  region: us-east-1
plugins:
  taps:
    - name: tap-csv
      config:
        files: [{{entity: orders, path: data/orders.csv, keys: [id]}}]
  targets:
    - name: target-postgres
      config:
        sqlalchemy_url: "{pg_database}"
        default_target_schema: loaded
"""
    )
    run = run_elt(project, "run", "tap-csv", "target-postgres")
    assert run.returncode == 0, run.stderr
    key = "elt/state/default%3Atap-csv-to-target-postgres.json"
    body = s3_client(s3_bucket.endpoint_url).get_object(Bucket=s3_bucket.name, Key=key)["Body"]
    stored = json.loads(body.read())
    assert stored["bookmarks"]["orders"]
    assert not (project / ".elt" / "state").exists()
    shown = run_elt(project, "state", "get", STATE_ID)
    assert json.loads(shown.stdout) == stored
