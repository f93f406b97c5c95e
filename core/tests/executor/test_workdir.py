"""elt.executor.workdir: a worker's projects and venvs, with real installs of tiny packages."""

from __future__ import annotations

import logging
import stat
import threading
from pathlib import Path

import pytest

from core.tests.install.packages import make_package, run_script
from elt.errors import PluginError
from elt.executor.workdir import CACHE_ENV, WorkerCache
from elt.install import read_record, venv_dir
from elt.run import find_executable


def manifest(package: Path, *, config: str = "{}") -> bytes:
    """A plugins.yml whose one tap installs from ``package`` (an absolute path)."""
    return (
        "version: 1\nplugins:\n  taps:\n"
        f"    - {{name: tap-a, pip_url: {package}, config: {config}}}\n"
    ).encode()


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return make_package(tmp_path / "pkgs" / "tap-a", "tap-a")


def test_the_cache_is_where_the_environment_says_else_in_the_users_cache(tmp_path: Path) -> None:
    assert WorkerCache.from_environ({CACHE_ENV: str(tmp_path)}).root == tmp_path
    assert WorkerCache.from_environ({}).root == Path("~/.cache/elt/worker").expanduser()


def test_units_of_one_manifest_share_a_project_folder_holding_it_verbatim_and_private(
    tmp_path: Path, package: Path
) -> None:
    cache = WorkerCache(tmp_path / "cache")
    first, again = cache.project(manifest(package)), cache.project(manifest(package))
    other = cache.project(manifest(package, config="{rows: 2}"))
    assert first.root == again.root != other.root
    assert first.file.read_bytes() == manifest(package)
    assert stat.S_IMODE(first.file.stat().st_mode) == 0o600
    assert first.root.parent == tmp_path / "cache" / "projects"


def test_the_coordinators_variables_are_not_needed_to_open_the_project(
    tmp_path: Path, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ELT_TEST_ONLY_ON_THE_COORDINATOR", raising=False)
    text = manifest(package, config="{password: '${ELT_TEST_ONLY_ON_THE_COORDINATOR}'}")
    project = WorkerCache(tmp_path / "cache").project(text)
    assert project.plugin("tap-a").name == "tap-a"


def test_a_venv_is_installed_once_and_shared_by_projects_whose_manifests_differ(
    tmp_path: Path, package: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = WorkerCache(tmp_path / "cache")
    caplog.set_level(logging.INFO, logger="elt.install")
    first = cache.project(manifest(package))
    cache.install(first, ["tap-a"], environment=None)
    second = cache.project(manifest(package, config="{rows: 2}"))
    cache.install(second, ["tap-a"], environment=None)
    installs = [r for r in caplog.records if r.getMessage().startswith("installing tap-a")]
    assert len(installs) == 1
    [shared] = (tmp_path / "cache" / "venvs").iterdir()
    for project in (first, second):
        venv = venv_dir(project.root, project.plugin("tap-a"))
        assert venv.resolve() == (shared / "venv").resolve()
        assert run_script(venv / "bin" / "tap-a") == "1"
    assert read_record(shared / "venv") is not None


def test_concurrent_units_on_one_worker_install_a_venv_once(
    tmp_path: Path, package: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = WorkerCache(tmp_path / "cache")
    caplog.set_level(logging.INFO, logger="elt.install")
    errors: list[BaseException] = []

    def unit() -> None:
        try:
            cache.install(cache.project(manifest(package)), ["tap-a"], environment=None)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=unit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    installs = [r for r in caplog.records if r.getMessage().startswith("installing tap-a")]
    assert len(installs) == 1
    assert len(list((tmp_path / "cache" / "venvs").iterdir())) == 1


def test_a_plugin_found_at_its_executable_is_not_installed(tmp_path: Path) -> None:
    text = b"version: 1\nplugins:\n  taps:\n    - {name: tap-a, executable: /bin/true}\n"
    cache = WorkerCache(tmp_path / "cache")
    project = cache.project(text)
    cache.install(project, ["tap-a"], environment=None)
    assert not venv_dir(project.root, project.plugin("tap-a")).exists()
    assert find_executable(project, project.plugin("tap-a"), None).samefile("/bin/true")


def test_a_failed_install_names_the_plugin_and_keeps_nothing_half_built(tmp_path: Path) -> None:
    broken = make_package(
        tmp_path / "pkgs" / "tap-a", "tap-a", dependencies=("no-such-package-for-elt-tests==1.0",)
    )
    cache = WorkerCache(tmp_path / "cache")
    project = cache.project(manifest(broken))
    with pytest.raises(PluginError) as raised:
        cache.install(project, ["tap-a"], environment=None)
    assert raised.value.where == "tap-a"
    assert "no-such-package-for-elt-tests" in str(raised.value)
    [shared] = (tmp_path / "cache" / "venvs").iterdir()
    assert read_record(shared / "venv") is None
