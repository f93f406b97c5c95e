"""Where plugin installs look for packages: the project's wheelhouses and index."""

from __future__ import annotations

from pathlib import Path

from core.tests.install.packages import write_project
from elt.install import Sources, install_sources
from elt.install.sources import default_index
from elt.project import load_project


def test_wheelhouses_and_the_index_come_from_plugins_yml_unless_the_environment_says(
    tmp_path: Path,
) -> None:
    root = write_project(
        tmp_path / "p",
        "version: 1\nfind_links: [wheels, 'https://example.org/wheels/']\n"
        "index_url: https://example.org/simple\n",
    )
    own = install_sources(load_project(root, environ={}))
    assert own.find_links == (str(root.resolve() / "wheels"), "https://example.org/wheels/")
    assert own.args == (
        "--find-links",
        str(root.resolve() / "wheels"),
        "--find-links",
        "https://example.org/wheels/",
        "--extra-index-url",
        "https://example.org/simple",
    )
    environ = {"ELT_FIND_LINKS": f"{tmp_path}/a  ../b", "ELT_INDEX_URL": "http://i/simple"}
    replaced = install_sources(load_project(root, environ=environ))
    assert replaced == Sources((f"{tmp_path}/a", str(tmp_path.resolve() / "b")), "http://i/simple")
    assert install_sources(load_project(root, environ={"ELT_FIND_LINKS": ""})).find_links == ()


def test_a_single_wheelhouse_may_be_written_as_text(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", "version: 1\nfind_links: dist\n")
    assert install_sources(load_project(root, environ={})).find_links == (
        str(root.resolve() / "dist"),
    )


def test_the_default_index_is_named_as_the_installer_will_take_it() -> None:
    assert default_index({}, uv=True).startswith("https://pypi.org/simple, unless")
    env = {"UV_DEFAULT_INDEX": "https://u:pw@uv.example/simple", "PIP_INDEX_URL": "https://p/s"}
    assert default_index(env, uv=True).startswith("https://u:********@uv.example/simple,")
    assert default_index(env, uv=False).startswith("https://p/s,")
