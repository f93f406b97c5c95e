"""What every command gets from the global options: where the project is, which environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from elt.project import Project, find_project_root, load_project

__all__ = ["Session", "pass_session"]


@dataclass(frozen=True)
class Session:
    """The global options of one ``elt`` invocation."""

    project_dir: Path | None
    environment: str | None
    log_level: str

    def root(self) -> Path:
        """The project directory: ``--project``/``ELT_PROJECT_ROOT``, else found upwards."""
        return find_project_root(self.project_dir)

    def project(self) -> Project:
        """The loaded, validated and interpolated project."""
        return load_project(self.root())


pass_session = click.make_pass_decorator(Session)
