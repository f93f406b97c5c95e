"""tap-csv -> target-gcs end to end through `elt run`, against the GCS emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from tests.fixtures.cli import run_elt
from tests.fixtures.laketargets import read_rows
from tests.fixtures.services import GcsBucket, unique_name

HEADER = "id,name,updated_at\n"
ROWS = [
    '1,"Zoë ""Z"" Müller",2026-01-01T00:00:00Z\n',
    '2,"two, with comma",2026-01-02T00:00:00Z\n',
    '3,"line one\nline two",2026-01-03T00:00:00Z\n',
]
STATE_ID = "default:tap-csv-to-target-gcs"


def make_project(root: Path, bucket: GcsBucket) -> Path:
    root.mkdir()
    (root / "plugins.yml").write_text(
        f"""version: 1
plugins:
  taps:
    - name: tap-csv
      config:
        files: [{{entity: orders, path: data/orders.csv, keys: [id], replication_key: updated_at}}]
  targets:
    - name: target-gcs
      config:
        bucket: {bucket.name}
        endpoint: {bucket.endpoint_url}
        anonymous: true
        prefix: raw/sales
"""
    )
    (root / "data").mkdir()
    return root


def lake_rows(bucket: GcsBucket) -> tuple[list[str], list[dict[str, Any]]]:
    """The data files under the prefix, and every row in them."""
    client = storage.Client(
        project="test",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": bucket.endpoint_url},
    )
    blobs = list(client.list_blobs(bucket.name, prefix="raw/sales/orders/"))
    rows = [row for blob in blobs for row in read_rows(blob.name, blob.download_as_bytes())]
    return sorted(b.name for b in blobs), rows


def test_elt_run_lands_csv_rows_in_gcs_and_a_second_run_moves_only_new_rows(
    tmp_path: Path, gcs_bucket: GcsBucket
) -> None:
    project = make_project(tmp_path / "p", gcs_bucket)
    csv_file = project / "data" / "orders.csv"
    csv_file.write_text(HEADER + "".join(ROWS), encoding="utf-8")

    first = run_elt(project, "run", "tap-csv", "target-gcs")
    assert first.returncode == 0, first.stderr
    files, rows = lake_rows(gcs_bucket)
    assert len(files) == 1
    assert files[0].endswith(".jsonl.gz")
    assert sorted((r["id"], r["name"]) for r in rows) == [
        (1, 'Zoë "Z" Müller'),
        (2, "two, with comma"),
        (3, "line one\nline two"),
    ]
    state = json.loads(run_elt(project, "state", "get", STATE_ID).stdout)
    assert state["bookmarks"]["orders"]

    with csv_file.open("a", encoding="utf-8") as out:
        out.write("4,four,2026-01-04T00:00:00Z\n")
    second = run_elt(project, "run", "tap-csv", "target-gcs")
    assert second.returncode == 0, second.stderr
    files, rows = lake_rows(gcs_bucket)
    assert len(files) == 2
    # Singer bookmarks are inclusive (at least once): row 3 carries the bookmark's value.
    assert sorted(r["id"] for r in rows) == [1, 2, 3, 3, 4]


def test_a_run_into_a_missing_bucket_fails_clearly_and_keeps_no_bookmark(
    tmp_path: Path, gcs_endpoint: str
) -> None:
    project = make_project(tmp_path / "p", GcsBucket(gcs_endpoint, unique_name("missing")))
    (project / "data" / "orders.csv").write_text(HEADER + "".join(ROWS), encoding="utf-8")
    failed = run_elt(project, "run", "tap-csv", "target-gcs")
    assert failed.returncode != 0
    assert "target-gcs" in failed.stderr
    assert "does not exist" in failed.stderr
    stored = run_elt(project, "state", "get", STATE_ID)
    assert stored.returncode != 0
    assert "no state stored" in stored.stderr
