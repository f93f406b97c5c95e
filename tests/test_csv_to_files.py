"""tap-csv -> target-files end to end through `elt run`: files, manifests and the bookmark."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq

from tests.fixtures.cli import run_elt
from tests.fixtures.orders import HEADER, ROWS


def make_project(root: Path, lake: Path, **target: object) -> Path:
    root.mkdir()
    config = ", ".join(f"{k}: {json.dumps(v)}" for k, v in {"path": str(lake), **target}.items())
    (root / "plugins.yml").write_text(
        f"""version: 1
plugins:
  taps:
    - name: tap-csv
      config:
        infer_sample_rows: 2
        files: [{{entity: orders, path: data/orders.csv, keys: [id], replication_key: updated_at}}]
  targets:
    - name: target-files
      config: {{{config}}}
"""
    )
    (root / "data").mkdir()
    (root / "data" / "orders.csv").write_text(HEADER + "".join(ROWS), encoding="utf-8")
    return root


def manifests(lake: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in sorted((lake / "_manifests").glob("*.json"))]


def test_elt_run_writes_exact_jsonl_a_manifest_and_a_bookmark_then_only_new_rows(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    project = make_project(tmp_path / "p", lake)
    first = run_elt(project, "run", "tap-csv", "target-files")
    assert first.returncode == 0, first.stderr
    (manifest,) = manifests(lake)
    (entry,) = manifest["files"]  # type: ignore[misc]
    rows = [
        json.loads(line, parse_float=Decimal)
        for line in gzip.decompress((lake / entry["key"]).read_bytes()).splitlines()
    ]
    assert [(r["id"], r["name"], r["amount"]) for r in rows] == [
        (1, 'Zoë "Z" Müller', Decimal("10.50")),
        (2, "two, with comma", Decimal("123456789012.123456789")),
        (3, "line one\nline two", Decimal("0.10")),
    ]
    state = json.loads(run_elt(project, "state", "get", "default:tap-csv-to-target-files").stdout)
    assert state["bookmarks"]["orders"]

    with (project / "data" / "orders.csv").open("a", encoding="utf-8") as out:
        out.write("4,four,4.00,2026-01-04T00:00:00Z\n")
    second = run_elt(project, "run", "tap-csv", "target-files")
    assert second.returncode == 0, second.stderr
    (entry,) = manifests(lake)[-1]["files"]  # type: ignore[misc]
    again = gzip.decompress((lake / entry["key"]).read_bytes()).splitlines()
    # rows at the bookmark are read again (Singer's >=), older ones are not
    assert [json.loads(line)["id"] for line in again] == [3, 4]


def test_elt_run_writes_typed_parquet(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    project = make_project(tmp_path / "p", lake, format="parquet", parquet_number="decimal")
    done = run_elt(project, "run", "tap-csv", "target-files")
    assert done.returncode == 0, done.stderr
    (entry,) = manifests(lake)[0]["files"]  # type: ignore[misc]
    table = pq.read_table(lake / entry["key"])
    assert table.column("amount").to_pylist() == [
        Decimal("10.50"),
        Decimal("123456789012.123456789"),
        Decimal("0.10"),
    ]
    assert str(table.schema.field("updated_at").type) == "timestamp[us, tz=UTC]"
