"""Units of a split run (``ELT_UNIT``) in a bucket, through the shared lake writer, on moto."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from target_s3 import connect

from tests.fixtures.lake import rows_through_manifests
from tests.fixtures.laketargets import PREFIX, Executed, lines, records, run_with_env, schema, state
from tests.fixtures.services import S3Bucket

from .test_target import target_config


def as_unit(unit_id: str, **extra: Any) -> dict[str, str]:
    return {"ELT_UNIT": json.dumps({"id": unit_id, "stream": "items", "extra": extra})}


def test_two_units_at_once_then_the_run_manifest_reads_every_row_once(
    s3_bucket: S3Bucket,
) -> None:
    config = target_config(*s3_bucket, format="jsonl", max_rows=100)
    units = [
        ("ua", lines([schema("items"), *records("items", range(250)), state({"a": 1})])),
        ("ub", lines([schema("items"), *records("items", range(500, 750)), state({"b": 1})])),
    ]

    def load(unit: tuple[str, bytes]) -> Executed:
        return run_with_env("target-s3", config, unit[1], as_unit(unit[0]))

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(load, units))
    assert [r.code for r in results] == [0, 0], [r.stderr for r in results]
    assert [r.states for r in results] == [[{"a": 1}], [{"b": 1}]]
    rerun = load(units[0])  # a second attempt of ua replaces its files
    assert rerun.code == 0, rerun.stderr

    done = run_with_env(
        "target-s3", config, lines([schema("items")]), as_unit("urun", finish=["ua", "ub"])
    )

    assert done.code == 0, done.stderr
    store = connect(config)
    run_manifest = json.loads(store.read(f"{PREFIX}/_manifests/urun.json"))
    assert [(u["id"], u["rows"], u["files"]) for u in run_manifest["units"]] == [
        ("ua", 250, 3),
        ("ub", 250, 3),
    ]
    ids = sorted(r["id"] for r in rows_through_manifests(store, PREFIX))
    assert ids == [*range(250), *range(500, 750)]
