from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from core.tests.install.packages import make_package, write_project

Elt = Callable[..., Result]


def test_elt_install_reports_each_plugin_and_skips_what_is_up_to_date(
    elt: Elt, tmp_path: Path
) -> None:
    root = tmp_path / "p"
    make_package(root / "tap-a", "tap-a")
    write_project(
        root,
        "version: 1\nplugins:\n  taps:\n    - {name: tap-a, pip_url: ./tap-a}\n"
        "    - {name: tap-a-eu, inherit_from: tap-a}\n",
    )
    first = elt("--project", str(root), "install", "-j", "2")
    assert first.exit_code == 0, first.stderr
    header, parent, child = first.stdout.splitlines()
    assert header.split() == ["PLUGIN", "STATUS", "VENV"]
    assert parent.split()[:3] == ["tap-a", "installed", ".elt/plugins/tap/tap-a/venv"]
    assert parent.split()[3] == "(uv,"
    assert child.split() == ["tap-a-eu", "installed", "tap-a's", "venv"]

    again = elt("--project", str(root), "install", "tap-a")
    assert again.exit_code == 0
    assert again.stdout.splitlines()[1].split() == [
        "tap-a",
        "up",
        "to",
        "date",
        ".elt/plugins/tap/tap-a/venv",
    ]


def test_a_failed_install_exits_70_with_the_end_of_the_installer_output(
    elt: Elt, tmp_path: Path
) -> None:
    root = tmp_path / "p"
    make_package(root / "tap-bad", "tap-bad", dependencies=("no-such-package-for-elt-tests==1",))
    write_project(
        root, "version: 1\nplugins:\n  taps:\n    - {name: tap-bad, pip_url: ./tap-bad}\n"
    )
    result = elt("--project", str(root), "install")
    assert result.exit_code == 70
    assert result.stdout.splitlines()[1].split()[:2] == ["tap-bad", "failed"]
    assert result.stderr.startswith("error: tap-bad: `uv pip install ...` failed with exit code 1")
    assert "no-such-package-for-elt-tests" in result.stderr


def test_installing_an_unknown_plugin_is_a_project_error(elt: Elt, tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", "version: 1\nplugins:\n  taps:\n    - {name: tap-a}\n")
    result = elt("--project", str(root), "install", "tap-b")
    assert result.exit_code == 78
    assert 'unknown plugin "tap-b"' in result.stderr


def test_install_needs_none_of_the_config_variables(elt: Elt, tmp_path: Path) -> None:
    root = tmp_path / "p"
    make_package(root / "tap-a", "tap-a")
    write_project(
        root,
        "version: 1\nplugins:\n  taps:\n    - name: tap-a\n      pip_url: ./tap-a\n"
        "      config: {password: '${UNSET_FOR_ELT_TESTS}'}\n",
    )
    result = elt("--project", str(root), "install")
    assert result.exit_code == 0, result.stderr
