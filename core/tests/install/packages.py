"""Tiny local Python packages to install into real venvs: fast to build, no dependencies.

Each has a console script that prints its version, so a test can tell which build a venv
runs. ``make_package(..., dependencies=["no-such-package-for-elt-tests==1"])`` makes one
whose install fails in the resolver, with the installer's own message.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


def make_package(
    directory: Path, name: str, *, version: str = "1", dependencies: tuple[str, ...] = ()
) -> Path:
    """Write package ``name`` (script ``name`` printing ``version``) into ``directory``."""
    module = name.replace("-", "_")
    (directory / "src" / module).mkdir(parents=True, exist_ok=True)
    (directory / "pyproject.toml").write_text(
        f"""[project]
name = "{name}"
version = "0.1.0"
dependencies = {json.dumps(list(dependencies))}

[project.scripts]
{name} = "{module}:main"

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""
    )
    set_version(directory, name, version)
    return directory


def set_version(directory: Path, name: str, version: str) -> None:
    """Change what the package's script prints (an edit of its source)."""
    module = name.replace("-", "_")
    (directory / "src" / module / "__init__.py").write_text(
        f"def main():\n    print({version!r})\n"
    )


def run_script(path: Path) -> str:
    """What an installed script prints."""
    return subprocess.run([str(path)], capture_output=True, text=True, check=True).stdout.strip()


def write_project(root: Path, plugins_yml: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "plugins.yml").write_text(plugins_yml)
    return root
