"""elt.install against real venvs built by uv (and once by pip) from tiny local packages."""

from __future__ import annotations

import threading
from pathlib import Path

from core.tests.install.packages import make_package, run_script, set_version, write_project
from elt.install import (
    Installer,
    InstallStatus,
    VenvState,
    install_plugins,
    read_record,
    venv_dir,
    venv_state,
)
from elt.install.lock import install_lock
from elt.project import Project, load_project
from elt.run import find_executable
from tests.fixtures.apiserver import ApiServer

BAD_DEPENDENCY = "no-such-package-for-elt-tests==1.0"


def project(root: Path, *names: str, extra: str = "") -> Project:
    """A project with one tap per name, each installed from ./pkgs/<name>."""
    for name in names:
        if not (root / "pkgs" / name).exists():
            make_package(root / "pkgs" / name, name)
    entries = "".join(f"    - {{name: {n}, pip_url: ./pkgs/{n}}}\n" for n in names)
    write_project(root, f"version: 1\nplugins:\n  taps:\n{entries}{extra}")
    return load_project(root)


def script(project: Project, name: str) -> Path:
    return venv_dir(project.root, project.plugin(name)) / "bin" / name


def test_install_builds_a_venv_whose_script_runs_and_records_what_it_installed(
    tmp_path: Path,
) -> None:
    toy = project(tmp_path / "p", "tap-a")
    (result,) = install_plugins(toy, ["tap-a"])
    assert (result.status, result.error, result.installer) == (
        InstallStatus.INSTALLED,
        None,
        Installer.UV,
    )
    assert run_script(script(toy, "tap-a")) == "1"
    record = read_record(result.venv)
    assert record is not None
    assert record.args == (str((tmp_path / "p" / "pkgs" / "tap-a").resolve()),)
    assert find_executable(toy, toy.plugin("tap-a"), "") == script(toy, "tap-a")
    assert sorted(p.name for p in result.venv.parent.iterdir()) == ["install.lock", "venv"]


def test_a_second_install_of_an_unchanged_plugin_does_nothing(tmp_path: Path) -> None:
    toy = project(tmp_path / "p", "tap-a")
    install_plugins(toy, ["tap-a"])
    before = read_record(venv_dir(toy.root, toy.plugin("tap-a")))
    (again,) = install_plugins(toy, ["tap-a"])
    assert again.status is InstallStatus.UP_TO_DATE
    assert read_record(again.venv) == before
    assert venv_state(toy, toy.plugin("tap-a")) is VenvState.CURRENT


def test_an_edit_of_a_local_source_makes_the_venv_stale_and_the_next_install_rebuilds_it(
    tmp_path: Path,
) -> None:
    toy = project(tmp_path / "p", "tap-a")
    install_plugins(toy, ["tap-a"])
    set_version(tmp_path / "p" / "pkgs" / "tap-a", "tap-a", "2")
    assert venv_state(toy, toy.plugin("tap-a")) is VenvState.STALE
    (result,) = install_plugins(toy, ["tap-a"])
    assert result.status is InstallStatus.UPDATED
    assert run_script(script(toy, "tap-a")) == "2"


def test_clean_rebuilds_an_up_to_date_venv(tmp_path: Path) -> None:
    toy = project(tmp_path / "p", "tap-a")
    install_plugins(toy, ["tap-a"])
    marker = venv_dir(toy.root, toy.plugin("tap-a")) / "marker"
    marker.write_text("from the first build")
    (result,) = install_plugins(toy, ["tap-a"], clean=True)
    assert result.status is InstallStatus.UPDATED
    assert not marker.exists()
    assert run_script(script(toy, "tap-a")) == "1"


def test_a_failed_install_keeps_the_previous_venv_and_shows_the_installer_output(
    tmp_path: Path,
) -> None:
    toy = project(tmp_path / "p", "tap-a")
    install_plugins(toy, ["tap-a"])
    before = read_record(venv_dir(toy.root, toy.plugin("tap-a")))
    make_package(
        tmp_path / "p" / "pkgs" / "tap-a", "tap-a", version="2", dependencies=(BAD_DEPENDENCY,)
    )
    toy = load_project(toy.root)

    (result,) = install_plugins(toy, ["tap-a"])

    assert result.status is InstallStatus.FAILED
    text = str(result.error)
    assert text.startswith(
        "tap-a: `uv pip install ...` failed with exit code 1; it looked in the default index "
        "(https://pypi.org/simple, unless the installer's configuration names another); its "
        "output ends:"
    )
    assert "no-such-package-for-elt-tests" in text
    assert "The previous virtualenv, if any, is kept" in text
    assert run_script(script(toy, "tap-a")) == "1"
    assert read_record(result.venv) == before
    assert sorted(p.name for p in result.venv.parent.iterdir()) == ["install.lock", "venv"]


def test_plugins_install_in_parallel_and_a_failure_does_not_stop_the_others(
    tmp_path: Path,
) -> None:
    root = tmp_path / "p"
    make_package(root / "pkgs" / "tap-bad", "tap-bad", dependencies=(BAD_DEPENDENCY,))
    toy = project(root, "tap-a", "tap-b", "tap-c", "tap-bad")
    results = install_plugins(toy, jobs=4)
    assert [(r.plugin, r.status) for r in results] == [
        ("tap-a", InstallStatus.INSTALLED),
        ("tap-b", InstallStatus.INSTALLED),
        ("tap-c", InstallStatus.INSTALLED),
        ("tap-bad", InstallStatus.FAILED),
    ]
    assert [run_script(script(toy, n)) for n in ("tap-a", "tap-b", "tap-c")] == ["1", "1", "1"]
    assert not venv_dir(root, toy.plugin("tap-bad")).exists()


def test_concurrent_installs_of_one_venv_build_it_once(tmp_path: Path) -> None:
    toy = project(tmp_path / "p", "tap-a")
    statuses: list[InstallStatus] = []
    threads = [
        threading.Thread(target=lambda: statuses.extend(r.status for r in install_plugins(toy)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == sorted(
        [InstallStatus.INSTALLED, InstallStatus.UP_TO_DATE, InstallStatus.UP_TO_DATE]
    )


def test_an_install_waits_for_the_lock_held_by_another_installer(tmp_path: Path) -> None:
    toy = project(tmp_path / "p", "tap-a")
    lock = venv_dir(toy.root, toy.plugin("tap-a")).parent / "install.lock"
    done = threading.Event()
    with install_lock(lock):
        worker = threading.Thread(target=lambda: (install_plugins(toy), done.set()))
        worker.start()
        assert not done.wait(1.0)
    worker.join(60)
    assert done.is_set()
    assert run_script(script(toy, "tap-a")) == "1"


def test_inheriting_plugins_share_the_parents_venv_and_find_their_executable_in_it(
    tmp_path: Path,
) -> None:
    toy = project(
        tmp_path / "p",
        "tap-a",
        extra="    - {name: tap-a-sales, inherit_from: tap-a}\n",
    )
    results = install_plugins(toy, ["tap-a-sales", "tap-a"])
    assert [(r.plugin, r.owner, r.status) for r in results] == [
        ("tap-a-sales", "tap-a", InstallStatus.INSTALLED),
        ("tap-a", "tap-a", InstallStatus.INSTALLED),
    ]
    assert results[0].shared
    assert not results[1].shared
    assert not (toy.root / ".elt" / "plugins" / "tap" / "tap-a-sales").exists()
    found = find_executable(toy, toy.plugin("tap-a-sales"), "")
    assert found == script(toy, "tap-a")


def test_a_venv_left_moved_away_by_a_killed_install_is_restored(tmp_path: Path) -> None:
    toy = project(tmp_path / "p", "tap-a")
    install_plugins(toy, ["tap-a"])
    venv = venv_dir(toy.root, toy.plugin("tap-a"))
    venv.rename(venv.parent / ".venv.old-abc123")
    (venv.parent / ".venv.new-def456").mkdir()
    (result,) = install_plugins(toy, ["tap-a"])
    assert result.status is InstallStatus.UP_TO_DATE
    assert sorted(p.name for p in venv.parent.iterdir()) == ["install.lock", "venv"]


def test_the_pip_installer_builds_the_same_venv_without_uv(tmp_path: Path) -> None:
    toy = project(tmp_path / "p", "tap-a")
    (result,) = install_plugins(toy, ["tap-a"], installer=Installer.PIP)
    assert (result.status, result.installer, result.error) == (
        InstallStatus.INSTALLED,
        Installer.PIP,
        None,
    )
    assert run_script(script(toy, "tap-a")) == "1"
    assert (result.venv / "bin" / "pip").exists()


def test_a_failed_install_names_the_wheelhouse_and_the_index_it_used_without_their_password(
    tmp_path: Path,
) -> None:
    index = ApiServer()  # an index that has nothing: every page is a 404
    try:
        root = tmp_path / "p"
        (root / "wheels").mkdir(parents=True)
        url = index.url.replace("http://", "http://elt:s3cret-token@") + "/simple"
        write_project(
            root,
            f"version: 1\nfind_links: [wheels]\nindex_url: '{url}'\n"
            f"plugins:\n  taps: [{{name: tap-a, pip_url: '{BAD_DEPENDENCY}'}}]\n",
        )
        (result,) = install_plugins(load_project(root), ["tap-a"])
    finally:
        index.stop()
    assert result.status is InstallStatus.FAILED
    text = str(result.error)
    assert (
        f"it looked in wheelhouse {(root / 'wheels').resolve()}, then index "
        f"{index.url.replace('http://', 'http://elt:********@')}/simple, then the default index "
        "(https://pypi.org/simple" in text
    )
    assert "s3cret-token" not in text
    assert [r.path for r in index.requests] == ["/simple/no-such-package-for-elt-tests/"]
