"""Scenarios of the README's Install section (see :mod:`tests.readme.examples`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.dist import BASE_PYTHON, REPO, Outside, Wheelhouse
from tests.readme.examples import Example
from tests.readme.scenarios import scenario


@scenario("install-from-wheels")
def install_from_wheels(found: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """As a reader runs it in the checkout, with elt from ``uv tool install`` and the
    workspace on no path (:class:`tests.fixtures.dist.Outside`). ``make dist`` already ran
    for the session (the ``wheelhouse`` of tests/test_distribution.py), so the example's
    ``make dist`` is not run a second time; the rest runs as written."""
    wheelhouse: Wheelhouse = request.getfixturevalue("wheelhouse")
    assert found.text.startswith("make dist && WHEELS=$PWD/dist ")
    shell = Outside.new(tmp_path / "home")
    shell.cwd = REPO
    tools, temporary = tmp_path / "tools", tmp_path / "tmp"
    temporary.mkdir()
    shell.env.update(
        UV_TOOL_DIR=str(tools),
        UV_TOOL_BIN_DIR=str(tools / "bin"),
        UV_PYTHON=str(BASE_PYTHON),
        TMPDIR=str(temporary),
        PATH=f"{tools / 'bin'}:{shell.env['PATH']}",
    )
    output = shell.ok(found.text.replace("make dist && ", "", 1))
    assert [line.split()[:2] for line in output.splitlines() if " installed " in line] == [
        ["tap-csv", "installed"],
        ["target-files", "installed"],
    ]
    assert shell.ok("command -v elt").strip() == str(tools / "bin" / "elt")
    [demo] = temporary.glob("*/demo")
    venv = demo / ".elt" / "plugins" / "tap" / "tap-csv" / "venv"
    names = json.loads(
        shell.ok(
            f"{venv}/bin/python -c 'import importlib.metadata as m, json; "
            'print(json.dumps({d.metadata["Name"]: d.version for d in m.distributions()}))\''
        )
    )
    assert names["elt-tap-csv"] == names["elt-core"] == wheelhouse.version
    assert "tap-csv" not in names
