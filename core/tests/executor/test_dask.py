"""elt.executor.dask on real clusters: a ``dask scheduler`` and ``dask worker`` processes
(tests/fixtures/dask.py), units of the toy tap and target (core/tests/plugins)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from core.tests.plugins import STATE_ID, TAP, TARGET, ToyProject, wait_for
from elt.errors import AccessError, PluginError, ServiceError
from elt.executor.dask import DaskExecutor
from elt.protocol import UnitIdentity
from elt.run import run_pipeline
from elt.run.request import RunRequest
from elt.run.units import UnitResult, UnitSpec
from tests.fixtures.dask import ClusterFactory, DaskCluster, free_port, make_certificates


def unit(toy: ToyProject, name: str, *, tap: dict[str, Any] | None = None) -> UnitSpec:
    """A unit of the toy pipeline, its target writing to ``<name>.jsonl``, run in the
    worker's own copy of the project (no ``root``)."""
    return UnitSpec(
        unit=UnitIdentity(f"u-{name}", stream="items"),
        manifest=toy.project().file.read_bytes(),
        environment=None,
        plugins=(TAP, TARGET),
        configs={
            TAP: {"count": 3, **(tap or {})},
            TARGET: {"path": str(toy.root / f"{name}.jsonl")},
        },
        secrets=(),
        env={},
        catalog=None,
        state=None,
        stop_timeout=5.0,
    )


def run(executor: DaskExecutor, specs: list[UnitSpec]) -> list[UnitResult]:
    results: list[UnitResult] = []
    executor.run_units(specs, results.append)
    return results


def written_ids(toy: ToyProject, name: str) -> list[int]:
    path = toy.root / f"{name}.jsonl"
    if not path.exists():
        return []
    return [
        r["id"] for r in map(json.loads, path.read_text().splitlines()) if r["stream"] == "items"
    ]


def test_a_unit_runs_on_a_worker_and_returns_the_states_its_target_committed(
    toy: ToyProject, dask_cluster: DaskCluster
) -> None:
    [result] = run(DaskExecutor(dask_cluster.address), [unit(toy, "one")])
    assert result.states[-1] == {"bookmarks": {"items": {"id": 3}}}
    assert len(result.states) == 3
    assert result.worker in {w.address for w in dask_cluster.workers}
    assert (result.unit_id, result.stream, result.attempt) == ("u-one", "items", 1)
    assert f"unit u-one (items) on {result.worker}" in result.log
    assert written_ids(toy, "one") == [1, 2, 3]
    projects = dask_cluster.worker(result.worker).cache / "projects"
    [folder] = projects.iterdir()
    assert (folder / "plugins.yml").read_bytes() == toy.project().file.read_bytes()


def test_units_run_at_once_on_every_worker(toy: ToyProject, dask_cluster: DaskCluster) -> None:
    specs = [unit(toy, f"u{i}", tap={"pace": 0.3}) for i in range(4)]
    results = run(DaskExecutor(dask_cluster.address), specs)
    assert sorted(r.unit_id for r in results) == ["u-u0", "u-u1", "u-u2", "u-u3"]
    assert {r.worker for r in results} == {w.address for w in dask_cluster.workers}
    assert all(written_ids(toy, f"u{i}") == [1, 2, 3] for i in range(4))


def test_a_failed_unit_raises_its_error_naming_it_after_the_others_committed(
    toy: ToyProject, dask_cluster: DaskCluster
) -> None:
    specs = [unit(toy, "bad", tap={"count": 5, "die_after": 2}), unit(toy, "good")]
    results: list[UnitResult] = []
    with pytest.raises(PluginError) as raised:
        DaskExecutor(dask_cluster.address).run_units(specs, results.append)
    assert [r.unit_id for r in results] == ["u-good"]
    assert raised.value.exit_code == 70
    worker = next(w.address for w in dask_cluster.workers if w.address != results[0].worker)
    assert str(raised.value).startswith(f"unit items (u-bad) on {worker}: ")
    assert "tap toy-tap exited with code 3" in str(raised.value)


def test_a_unit_whose_worker_dies_reruns_on_another_and_tells_its_attempt(
    toy: ToyProject, dask_cluster_factory: ClusterFactory
) -> None:
    cluster: DaskCluster = dask_cluster_factory(workers=2)
    spec = unit(toy, "killed", tap={"count": 12, "pace": 0.25})
    with ThreadPoolExecutor(1) as pool, cluster.client() as client:
        running = pool.submit(run, DaskExecutor(cluster.address), [spec])
        wait_for(lambda: len(written_ids(toy, "killed")) >= 2, timeout=60)
        [(address, _)] = [(w, keys) for w, keys in client.processing().items() if keys]
        cluster.kill(cluster.worker(address))
        [result] = running.result(timeout=120)
    assert result.worker != address
    assert result.attempt == 2
    assert result.states[-1] == {"bookmarks": {"items": {"id": 12}}}


def test_elt_run_with_the_executor_stores_the_bookmark_its_unit_committed_on_a_worker(
    toy: ToyProject, dask_cluster: DaskCluster
) -> None:
    toy.write(tap={"count": 4, "others": 2})
    request = RunRequest(TAP, TARGET, executor=dask_cluster.address, stop_timeout=5.0)
    result = run_pipeline(toy.project(), request, executor=DaskExecutor(dask_cluster.address))
    [done] = result.units  # the toy tap takes no catalog: the whole run is one unit
    assert done.worker in {w.address for w in dask_cluster.workers}
    assert toy.state(STATE_ID) == {"bookmarks": {"items": {"id": 4}}}
    assert toy.ids() == [1, 2, 3, 4]


def test_elt_run_executor_option_runs_the_unit_on_the_cluster(
    toy: ToyProject, dask_cluster: DaskCluster
) -> None:
    toy.write(tap={"count": 3})
    process = toy.start_run("--executor", dask_cluster.address, "--json")
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    [done] = json.loads(stdout)["units"]
    assert done["worker"] in {w.address for w in dask_cluster.workers}
    assert toy.state(STATE_ID) == {"bookmarks": {"items": {"id": 3}}}


def test_units_run_over_tls_with_the_certificates_the_environment_names(
    toy: ToyProject, dask_cluster_factory: ClusterFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster: DaskCluster = dask_cluster_factory(workers=1, tls=True)
    assert cluster.address.startswith("tls://")
    assert cluster.certificates is not None
    for name, value in cluster.certificates.environ().items():
        monkeypatch.setenv(name, value)
    [result] = run(DaskExecutor(cluster.address), [unit(toy, "tls")])
    assert result.states[-1] == {"bookmarks": {"items": {"id": 3}}}
    stranger = make_certificates(toy.root / "stranger")
    with pytest.raises(AccessError) as raised:
        DaskExecutor(cluster.address, stranger.security()).connect()
    assert raised.value.exit_code == 78
    assert cluster.address in str(raised.value)


def test_an_unreachable_scheduler_is_a_service_error_naming_its_address(toy: ToyProject) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(ServiceError) as raised:
        run(DaskExecutor(address, connect_timeout=1), [unit(toy, "nowhere")])
    assert raised.value.exit_code == 75
    assert f"cannot reach the Dask scheduler at {address}" in str(raised.value)
    assert time.monotonic() - started < 15


def test_tls_credentials_named_in_part_or_missing_are_refused_before_connecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ELT_DASK_TLS_CA_FILE", str(tmp_path / "ca.pem"))
    with pytest.raises(AccessError, match="ELT_DASK_TLS_CERT, ELT_DASK_TLS_KEY not set"):
        DaskExecutor("tls://127.0.0.1:1")
    for name in ("ELT_DASK_TLS_CERT", "ELT_DASK_TLS_KEY"):
        monkeypatch.setenv(name, str(tmp_path / f"{name}.pem"))
    with pytest.raises(AccessError, match=r"ELT_DASK_TLS_CA_FILE names .*ca\.pem, which is not"):
        DaskExecutor("tls://127.0.0.1:1")
    for name in ("ELT_DASK_TLS_CA_FILE", "ELT_DASK_TLS_CERT", "ELT_DASK_TLS_KEY"):
        monkeypatch.delenv(name)
    with pytest.raises(AccessError, match="speaks TLS and no client certificate"):
        DaskExecutor("tls://127.0.0.1:1").connect()


def test_a_tcp_scheduler_on_another_host_is_warned_about_since_units_carry_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    address = "tcp://192.0.2.1:8786"  # TEST-NET-1: routed nowhere
    with pytest.raises(ServiceError):
        DaskExecutor(address, connect_timeout=0.5).connect()
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert f"tcp:// sends them to {address} unencrypted" in warning.getMessage()
