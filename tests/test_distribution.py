"""elt installed anywhere: ``make dist``, then elt and its plugins outside the checkout.

A fresh venv outside the checkout, with the checkout on no path, installs ``elt-core`` from
the wheels of ``make dist`` (its dependencies from the index); ``elt init``, ``elt add`` of
tap-csv, target-files and target-postgres with no ``--pip-url``, ``elt install`` from the
wheelhouse (``ELT_FIND_LINKS``) or from a local PEP 503 index (``index_url``), then
``elt run`` into a folder and into Postgres. Each plugin venv must hold elt's own
distribution at elt's version, never the index's namesake. The artefacts themselves are
checked for their content and metadata.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from collections.abc import Iterator
from email.parser import Parser
from pathlib import Path

import psycopg
import pytest

from tests.fixtures.dist import REPO, UV, Outside, Wheelhouse

PLUGINS = {
    "elt-tap-csv": ("taps/tap-csv", "tap_csv", "tap-csv"),
    "elt-tap-http": ("taps/tap-http", "tap_http", "tap-http"),
    "elt-tap-postgres": ("taps/tap-postgres", "tap_postgres", "tap-postgres"),
    "elt-target-postgres": ("targets/target-postgres", "target_postgres", "target-postgres"),
    "elt-target-files": ("targets/target-files", "target_files", "target-files"),
    "elt-target-s3": ("targets/target-s3", "target_s3", "target-s3"),
    "elt-target-gcs": ("targets/target-gcs", "target_gcs", "target-gcs"),
    "elt-target-azure": ("targets/target-azure", "target_azure", "target-azure"),
}
ORDERS = 'id,name,amount\n1,Ada,10.50\n2,"Grace, H.",3.25\n3,Zoë,0.10\n'
ROWS = [(1, "Ada", "10.50"), (2, "Grace, H.", "3.25"), (3, "Zoë", "0.10")]
# what a venv's Python says about the distributions in it
INSPECT = """
import importlib.metadata as m, json, sys
names = {d.metadata["Name"]: d.version for d in m.distributions()}
import_root = __import__(sys.argv[1]).__file__
print(json.dumps({"names": names, "module": import_root}))
"""


def pyproject(path: str) -> dict[str, object]:
    with (REPO / path / "pyproject.toml").open("rb") as file:
        project: dict[str, object] = tomllib.load(file)["project"]
    return project


def test_one_version_for_the_workspace_and_every_plugin_pins_the_core_to_it() -> None:
    version = pyproject("core")["version"]
    assert pyproject("core")["name"] == "elt-core"
    for distribution, (path, _, _) in PLUGINS.items():
        project = pyproject(path)
        assert (project["name"], project["version"]) == (distribution, version)
        [core] = [d for d in project["dependencies"] if str(d).startswith("elt-core")]  # type: ignore[attr-defined]
        assert re.fullmatch(rf"elt-core\[[a-z,]+\]=={re.escape(str(version))}", core), core


def test_make_version_sets_the_one_version_everywhere_and_relocks(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    for name in ("Makefile", "pyproject.toml", "uv.lock"):
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, copy / name)
    for path in ("core", *(p for p, _, _ in PLUGINS.values())):
        shutil.copytree(
            REPO / path, copy / path, ignore=shutil.ignore_patterns("tests", "__pycache__")
        )
    (copy / ".tools").symlink_to(REPO / ".tools")
    done = subprocess.run(
        ["make", "--no-print-directory", "version", "VERSION=9.8.7"],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with (copy / "core" / "pyproject.toml").open("rb") as file:
        assert tomllib.load(file)["project"]["version"] == "9.8.7"
    for path, _, _ in PLUGINS.values():
        with (copy / path / "pyproject.toml").open("rb") as file:
            project = tomllib.load(file)["project"]
        assert project["version"] == "9.8.7"
        assert any(
            d.startswith("elt-core[") and d.endswith("]==9.8.7") for d in project["dependencies"]
        )
    lock = (copy / "uv.lock").read_text()
    assert lock.count('version = "9.8.7"') == 1 + len(PLUGINS)


def test_every_artefact_is_built_with_its_modules_readme_entry_points_and_no_test_files(
    wheelhouse: Wheelhouse,
) -> None:
    built = sorted(p.name for p in wheelhouse.artefacts())
    distributions = ["elt-core", *PLUGINS]
    assert built == sorted(
        name for d in distributions for name in (wheelhouse.wheel(d).name, wheelhouse.sdist(d).name)
    )
    for distribution in distributions:
        source, package, script = (
            ("core", "elt", "elt") if distribution == "elt-core" else PLUGINS[distribution]
        )
        src = REPO / source / "src" / package
        expected = {
            f"{package}/{p.relative_to(src).as_posix()}"
            for p in src.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        }
        assert f"{package}/py.typed" in expected
        with zipfile.ZipFile(wheelhouse.wheel(distribution)) as wheel:
            names = set(wheel.namelist())
            info = f"{distribution.replace('-', '_')}-{wheelhouse.version}.dist-info"
            metadata = Parser().parsestr(wheel.read(f"{info}/METADATA").decode())
            entry_points = wheel.read(f"{info}/entry_points.txt").decode()
        assert {n for n in names if not n.startswith(info)} == expected, distribution
        assert not [n for n in names if "test" in n.split("/")[0] or n.endswith(".pyc")]
        assert (metadata["Name"], metadata["Version"]) == (distribution, wheelhouse.version)
        assert metadata["License-Expression"] == "Apache-2.0"
        assert metadata["Requires-Python"] == ">=3.11"
        assert "Typing :: Typed" in metadata.get_all("Classifier")
        assert metadata["Description-Content-Type"] == "text/markdown"
        readme = (REPO / source / "README.md").read_text(encoding="utf-8")
        assert metadata.get_payload().strip() == readme.strip()
        assert metadata["Summary"] == pyproject(source)["description"]
        assert re.search(rf"^{re.escape(script)} = ", entry_points, re.M), entry_points
        if distribution == "elt-core":
            assert set(metadata.get_all("Provides-Extra")) == {
                "sdk", "lake", "s3", "gcs", "azure", "postgres", "dask",
                "airflow", "prefect", "dagster", "ui",
            }  # fmt: skip
            assert "elt/project/catalogue.json" in names
            # htmx and uPlot, git-ignored copies from npm, ship as hatch artifacts
            for vendored in ("htmx.min.js", "uPlot.iife.min.js", "uPlot.min.css"):
                assert f"elt/ui/static/vendor/{vendored}" in names
        else:
            pins = [r for r in metadata.get_all("Requires-Dist") if r.startswith("elt-core")]
            assert len(pins) == 1
            assert pins[0].endswith(f"=={wheelhouse.version}"), pins
        with tarfile.open(wheelhouse.sdist(distribution)) as sdist:
            members = {m.name.split("/", 1)[1] for m in sdist.getmembers() if m.isfile()}
        assert members == {
            *(f"src/{n}" for n in expected), "README.md", "pyproject.toml", "PKG-INFO", ".gitignore",
        }, distribution  # fmt: skip


def test_the_build_is_reproducible(wheelhouse: Wheelhouse, tmp_path: Path) -> None:
    """The same sources build the same bytes (hatchling's fixed file dates)."""
    subprocess.run(
        [str(UV), "build", "--quiet", "--package", "elt-tap-csv", "--out-dir", str(tmp_path)],
        cwd=REPO,
        check=True,
    )
    for built in tmp_path.glob("elt_*"):
        assert digest(built) == digest(wheelhouse.path / built.name), built.name


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def outside(wheelhouse: Wheelhouse, tmp_path_factory: pytest.TempPathFactory) -> Outside:
    """elt-core from the wheelhouse in a fresh venv outside the checkout (dependencies from
    the index, through uv's cache)."""
    shell = Outside.new(tmp_path_factory.mktemp("outside"))
    assert not shell.home.resolve().is_relative_to(REPO)
    shell.ok(
        f"uv pip install --quiet --python venv/bin/python --find-links {wheelhouse.path} elt-core"
    )
    return shell


def test_elt_from_the_wheel_runs_from_its_venv_and_not_the_checkout(
    outside: Outside, wheelhouse: Wheelhouse
) -> None:
    assert outside.ok("command -v elt").strip() == str(outside.home / "venv" / "bin" / "elt")
    assert outside.ok("elt --version") == f"elt {wheelhouse.version}\n"
    found = json.loads(outside.ok(f"venv/bin/python -c '{INSPECT}' elt"))
    assert found["module"].startswith(str(outside.home / "venv"))
    assert found["names"]["elt-core"] == wheelhouse.version
    assert "elt" not in found["names"]  # the index's namesake
    assert (
        outside.ok("venv/bin/python -c 'from elt.install import checkout; print(checkout())'")
        == "None\n"
    )


def new_project(outside: Outside, name: str, pg_url: str) -> Path:
    """``elt init``, our three plugins added with no pip_url, and their config."""
    outside.ok(f"elt init {name}")
    root = outside.home / name
    (root / "orders.csv").write_text(ORDERS, encoding="utf-8")
    for command in (
        "elt add tap tap-csv",
        "elt add target target-files",
        "elt add target target-postgres",
        """elt config set tap-csv files '[{"entity": "orders", "path": "orders.csv", "keys": ["id"]}]'""",
        "elt config set target-files path lake",
        "elt config set target-files format csv",
        "elt config set target-files compression none",
        f"elt config set target-postgres sqlalchemy_url {pg_url}",
        "elt config set target-postgres default_target_schema loaded",
    ):
        outside.ok(f"cd {name} && {command}")
    written = (root / "plugins.yml").read_text()
    assert not [line for line in written.splitlines() if "pip_url" in line.split("#")[0]]
    return root


def install_and_run(
    outside: Outside, root: Path, pg_url: str, version: str, env: dict[str, str]
) -> None:
    """``elt install`` with ``env``, two runs, and what the plugin venvs hold."""
    at = f"cd {root.name} && "
    installed = outside.ok(at + "elt install", env)
    assert [line.split()[1] for line in installed.splitlines()[1:]] == ["installed"] * 3, installed
    for tap, target in (("tap-csv", "target-postgres"), ("tap-csv", "target-files")):
        # without the install's variables the venvs are still up to date: nothing to reinstall
        done = outside.run(at + f"elt run {tap} {target} --no-install")
        assert done.returncode == 0, done.stderr
        assert "installed from another pip_url" not in done.stderr
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "select id, name, amount::text from loaded.orders order by id"
        ).fetchall()
    assert rows == ROWS
    [written] = (root / "lake").rglob("*.csv")
    assert written.read_text(encoding="utf-8").splitlines()[1:] == [
        '"1","Ada","10.5"', '"2","Grace, H.","3.25"', '"3","Zoë","0.1"',
    ]  # fmt: skip
    for kind, name in (
        ("tap", "tap-csv"),
        ("target", "target-files"),
        ("target", "target-postgres"),
    ):
        venv = root / ".elt" / "plugins" / kind / name / "venv"
        package = name.replace("-", "_")
        found = json.loads(outside.ok(f"{venv}/bin/python -c '{INSPECT}' {package}"))
        assert found["names"][f"elt-{name}"] == version
        assert found["names"]["elt-core"] == version
        assert name not in found["names"]  # never the index's program of that name
        assert found["module"].startswith(str(venv))
        assert outside.ok(f"{venv}/bin/{name} --version").startswith(f"{name} v{version}, ")
    assert outside.ok("elt --version") == f"elt {version}\n"


def test_our_plugins_install_from_the_wheelhouse_and_load_exact_rows(
    outside: Outside, wheelhouse: Wheelhouse, pg_database: str
) -> None:
    root = new_project(outside, "from-wheels", pg_database)
    install_and_run(
        outside, root, pg_database, wheelhouse.version, {"ELT_FIND_LINKS": str(wheelhouse.path)}
    )


def test_elt_and_our_plugins_install_from_an_index_named_in_plugins_yml(
    wheelhouse: Wheelhouse, simple_index: str, pg_database: str, tmp_path: Path
) -> None:
    outside = Outside.new(tmp_path / "outside")
    outside.ok(
        f"uv pip install --quiet --python venv/bin/python --extra-index-url {simple_index} elt-core"
    )
    assert outside.ok("elt --version") == f"elt {wheelhouse.version}\n"
    root = new_project(outside, "from-index", pg_database)
    with (root / "plugins.yml").open("a") as file:
        file.write(f"index_url: {simple_index}\n")
    install_and_run(outside, root, pg_database, wheelhouse.version, {})


def test_without_a_wheelhouse_or_index_the_install_says_where_it_looked(
    outside: Outside, wheelhouse: Wheelhouse
) -> None:
    outside.ok("elt init nowhere && cd nowhere && elt add tap tap-csv")
    done = outside.run("cd nowhere && elt install tap-csv")
    assert done.returncode == 70, done.stderr
    assert "Traceback" not in done.stderr
    assert f"elt-tap-csv=={wheelhouse.version}" in done.stderr
    assert "it looked in the default index (https://pypi.org/simple" in done.stderr
    assert (
        "put its wheel in a wheelhouse (find_links in plugins.yml or ELT_FIND_LINKS" in done.stderr
    )


@pytest.fixture(scope="module")
def simple_index(wheelhouse: Wheelhouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PEP 503 index of the wheelhouse, served by ``python -m http.server`` on a free port;
    any other name is a 404, so dependencies come from the default index."""
    root = tmp_path_factory.mktemp("index")
    (root / "files").mkdir()
    (root / "simple").mkdir()
    projects: dict[str, list[Path]] = {}
    for artefact in wheelhouse.artefacts():
        shutil.copy2(artefact, root / "files" / artefact.name)
        name = artefact.name.split("-")[0].replace("_", "-")
        projects.setdefault(name, []).append(artefact)
    for name, artefacts in projects.items():
        links = "".join(
            f'<a href="../../files/{a.name}#sha256={digest(a)}">{a.name}</a><br>\n'
            for a in artefacts
        )
        (root / "simple" / name).mkdir()
        (root / "simple" / name / "index.html").write_text(
            f"<!DOCTYPE html><html><body>\n{links}</body></html>\n"
        )
    (root / "simple" / "index.html").write_text(
        "<!DOCTYPE html><html><body>\n"
        + "".join(f'<a href="{n}/">{n}</a><br>\n' for n in projects)
        + "</body></html>\n"
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/simple"
    finally:
        server.terminate()
        server.wait(10)
