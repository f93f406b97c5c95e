"""A Dask worker that has only elt's wheels: elt's own plugins come from the manifest's
wheelhouse, with no checkout anywhere on the worker's paths (tests/fixtures/dist.py)."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from elt.executor.dask import DaskExecutor
from elt.install import read_record
from elt.protocol import UnitIdentity
from elt.run.units import UnitResult, UnitSpec
from tests.fixtures.dask import ClusterFactory, DaskCluster
from tests.fixtures.dist import Outside, Wheelhouse
from tests.fixtures.orders import HEADER, ROWS


def test_a_worker_from_wheels_installs_elts_own_plugins_from_the_manifests_wheelhouse(
    tmp_path: Path, wheelhouse: Wheelhouse, dask_cluster_factory: ClusterFactory
) -> None:
    outside = Outside.new(tmp_path / "outside")
    # a cluster runs the client's versions of what pickles the tasks
    same = " ".join(f"{name}=={version(name)}" for name in ("distributed", "cloudpickle"))
    outside.ok(
        f"uv pip install --quiet --python venv/bin/python --find-links {wheelhouse.path} "
        f"'elt-core[dask]=={wheelhouse.version}' {same}"
    )
    cluster: DaskCluster = dask_cluster_factory(
        workers=1, env=outside.env, bin_dir=outside.home / "venv" / "bin"
    )
    orders = tmp_path / "orders.csv"
    orders.write_text(HEADER + "".join(ROWS), encoding="utf-8")
    lake = tmp_path / "lake"
    manifest = (
        f"version: 1\nfind_links: [{wheelhouse.path}]\n"
        "plugins:\n  taps:\n    - name: tap-csv\n  targets:\n    - name: target-files\n"
    )
    source = {
        "entity": "orders",
        "path": str(orders),
        "keys": ["id"],
        "replication_key": "updated_at",
    }
    spec = UnitSpec(
        unit=UnitIdentity("u-wheels", stream="orders"),
        manifest=manifest.encode(),
        environment=None,
        plugins=("tap-csv", "target-files"),
        configs={
            "tap-csv": {"infer_sample_rows": 2, "files": [source]},
            "target-files": {"path": str(lake)},
        },
        secrets=(),
        env={},
        catalog=None,
        state=None,
    )
    results: list[UnitResult] = []
    DaskExecutor(cluster.address).run_units([spec], results.append)
    [result] = results
    assert result.states[-1]["bookmarks"]["orders"]["replication_key_value"]
    assert list((lake / "_manifests" / "units").glob("u-wheels.json"))  # the unit's manifest
    [worker] = cluster.workers
    installed = [read_record(venv / "venv") for venv in (worker.cache / "venvs").iterdir()]
    assert sorted(r.args for r in installed if r is not None) == [
        (f"elt-tap-csv=={wheelhouse.version}",),
        (f"elt-target-files=={wheelhouse.version}",),
    ]
