from __future__ import annotations

from pathlib import Path

import pytest

from core.tests.install.packages import make_package, write_project
from elt.errors import PluginError
from elt.install import (
    Origin,
    checkout,
    install_sources,
    requirements,
    venv_dir,
    venv_owner,
)
from elt.install.fingerprint import fingerprint
from elt.project import Project, load_project

REPO = Path(__file__).resolve().parents[3]


def project_with(root: Path, entries: str) -> Project:
    return load_project(write_project(root, f"version: 1\nplugins:\n  taps:\n{entries}"))


def test_local_paths_are_resolved_against_the_project_and_keep_their_extras(
    tmp_path: Path,
) -> None:
    make_package(tmp_path / "p" / "pkgs" / "tap-a", "tap-a")
    project = project_with(tmp_path / "p", "    - {name: tap-a, pip_url: './pkgs/tap-a[x] six'}\n")
    wanted = requirements(project.root, project.plugin("tap-a"))
    local = (tmp_path / "p" / "pkgs" / "tap-a").resolve()
    assert wanted.args == (f"{local}[x]", "six")
    assert wanted.local_paths == (local,)
    assert wanted.local_projects == ("tap-a",)


def test_urls_options_and_name_at_url_pass_through_unchanged(tmp_path: Path) -> None:
    pip_url = (
        "--index-url https://example.org/simple tap-b @ git+https://example.org/tap-b.git "
        "git+https://example.org/other.git#egg=other 'tap-c>=1,<2'"
    )
    project = project_with(tmp_path / "p", f'    - {{name: tap-b, pip_url: "{pip_url}"}}\n')
    wanted = requirements(project.root, project.plugin("tap-b"))
    assert wanted.args == (
        "--index-url",
        "https://example.org/simple",
        "tap-b @ git+https://example.org/tap-b.git",
        "git+https://example.org/other.git#egg=other",
        "tap-c>=1,<2",
    )
    assert wanted.local_paths == ()


def test_a_local_path_that_does_not_exist_is_an_error_naming_it(tmp_path: Path) -> None:
    project = project_with(tmp_path / "p", "    - {name: tap-a, pip_url: ./nowhere}\n")
    with pytest.raises(PluginError, match=r"pip_url of tap-a names './nowhere', which does not"):
        requirements(project.root, project.plugin("tap-a"))


def test_builtin_plugins_without_pip_url_install_from_this_checkout_with_its_core(
    tmp_path: Path,
) -> None:
    assert checkout() == REPO
    project = project_with(tmp_path / "p", "    - {name: tap-csv}\n")
    wanted = requirements(project.root, project.plugin("tap-csv"))
    assert wanted.args == (str(REPO / "taps" / "tap-csv"), str(REPO / "core"))
    assert set(wanted.local_projects) == {"elt-tap-csv", "elt-core"}


def test_a_local_package_depending_on_elt_gets_the_checkouts_core(tmp_path: Path) -> None:
    make_package(tmp_path / "p" / "tap-mine", "tap-mine", dependencies=("elt-core[sdk]",))
    project = project_with(tmp_path / "p", "    - {name: tap-mine, pip_url: ./tap-mine}\n")
    wanted = requirements(project.root, project.plugin("tap-mine"))
    assert wanted.args[-1] == str(REPO / "core")


def test_a_plugin_named_like_a_builtin_with_its_own_pip_url_installs_that(tmp_path: Path) -> None:
    project = project_with(tmp_path / "p", "    - {name: tap-csv, pip_url: meltanolabs-tap-csv}\n")
    assert requirements(project.root, project.plugin("tap-csv")).args == ("meltanolabs-tap-csv",)


def test_an_inheriting_plugin_shares_its_parents_venv_unless_it_sets_its_own_pip_url(
    tmp_path: Path,
) -> None:
    project = project_with(
        tmp_path / "p",
        "    - {name: tap-a, pip_url: tap-a}\n"
        "    - {name: tap-a-sales, inherit_from: tap-a, executable: tap-a-sales}\n"
        "    - {name: tap-a-eu, inherit_from: tap-a-sales}\n"
        "    - {name: tap-a-new, inherit_from: tap-a, pip_url: tap-a==2}\n",
    )
    parent = project.plugin("tap-a")
    for child in ("tap-a-sales", "tap-a-eu"):
        assert venv_owner(project.plugin(child)) == parent
        assert venv_dir(project.root, project.plugin(child)) == venv_dir(project.root, parent)
    assert venv_dir(project.root, project.plugin("tap-a-new")) == (
        project.root / ".elt" / "plugins" / "tap" / "tap-a-new" / "venv"
    )


def test_elts_own_plugins_outside_a_checkout_install_elts_distribution_at_elts_version(
    tmp_path: Path,
) -> None:
    project = project_with(
        tmp_path / "p",
        "    - {name: tap-csv}\n    - {name: tap-csv-sales, inherit_from: tap-csv}\n"
        "  targets: [{name: target-postgres}]\n",
    )
    installed = Origin(repository=None, version="1.2.3")
    for name, wanted in [
        ("tap-csv", "elt-tap-csv==1.2.3"),
        ("tap-csv-sales", "elt-tap-csv==1.2.3"),
        ("target-postgres", "elt-target-postgres==1.2.3"),
    ]:
        found = requirements(project.root, project.plugin(name), origin=installed)
        assert (found.args, found.local_paths, found.distribution) == ((wanted,), (), wanted)
        assert found.elt_version == "1.2.3"


def test_a_third_party_plugin_installs_its_pip_url_wherever_elt_runs_from(
    tmp_path: Path,
) -> None:
    project = project_with(tmp_path / "p", "    - {name: tap-jsonl, pip_url: tap-jsonl==0.3.1}\n")
    found = requirements(project.root, project.plugin("tap-jsonl"), origin=Origin(None, "9"))
    assert (found.args, found.distribution) == (("tap-jsonl==0.3.1",), None)


def test_the_fingerprint_follows_elts_version_but_not_where_packages_are_fetched_from(
    tmp_path: Path,
) -> None:
    project = project_with(tmp_path / "p", "    - {name: tap-csv}\n")
    plugin = project.plugin("tap-csv")
    old = fingerprint(requirements(project.root, plugin, origin=Origin(None, "1.0.0")))
    new = fingerprint(requirements(project.root, plugin, origin=Origin(None, "1.1.0")))
    assert old != new
    write_project(
        project.root, "version: 1\nfind_links: [w]\nplugins:\n  taps: [{name: tap-csv}]\n"
    )
    moved = load_project(project.root)
    assert install_sources(moved).find_links
    same = requirements(project.root, moved.plugin("tap-csv"), origin=Origin(None, "1.0.0"))
    assert fingerprint(same) == old
