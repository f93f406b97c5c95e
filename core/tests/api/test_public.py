"""The public surface: ``elt.__all__`` resolves, lazily, and every public method says what it
does with an example or a contract (a docstring)."""

from __future__ import annotations

import inspect
import subprocess
import sys

import elt
from elt.api import Project


def test_every_name_of_elt_all_resolves() -> None:
    missing = [name for name in elt.__all__ if getattr(elt, name, None) is None]
    assert missing == []
    assert elt.Project is Project


def test_import_elt_loads_neither_the_api_nor_the_run_library() -> None:
    code = "import sys, elt; print(sorted(m for m in sys.modules if m.startswith('elt')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['elt']"


def test_every_public_method_and_property_of_project_is_documented() -> None:
    undocumented = [
        name
        for name, member in inspect.getmembers(Project)
        if not name.startswith("_") and not inspect.getdoc(member)
    ]
    assert undocumented == []
    assert ">>>" in (inspect.getdoc(Project.run) or "")
    assert ">>>" in (inspect.getdoc(Project.open) or "")
