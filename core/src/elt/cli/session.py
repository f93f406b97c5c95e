"""What every command gets from the global options: where the project is, which environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from elt.errors import UsageError
from elt.project import Project, find_project_root, load_project

if TYPE_CHECKING:
    from elt import api

__all__ = ["Session", "pass_session"]


@dataclass(frozen=True)
class Session:
    """The global options of one ``elt`` invocation.

    ``environment_given`` says that ``-e``/``--environment`` was on the command line rather
    than taken from ``ELT_ENVIRONMENT``.
    """

    project_dir: Path | None
    environment: str | None
    log_level: str
    environment_given: bool = False

    def root(self) -> Path:
        """The project directory: ``--project``/``ELT_PROJECT_ROOT``, else found upwards."""
        return find_project_root(self.project_dir)

    def project(self) -> Project:
        """The loaded, validated and interpolated project."""
        return load_project(self.root())

    def api(self, env: str | None = None) -> api.Project:
        """The project as the Python API opens it, in the environment of :meth:`environment_for`
        (``elt.api`` is imported here: the commands that need no run do not pay for it)."""
        from elt import api

        return api.Project(self.project(), self.environment_for(env))

    def environment_for(self, env: str | None) -> str | None:
        """The environment a command runs in: its own ``--env``, else the global one.

        ``--env`` is more specific than ``ELT_ENVIRONMENT`` and wins over it; with a
        different ``-e`` on the same command line, which one was meant cannot be told.
        """
        if env is None:
            return self.environment
        if self.environment_given and self.environment != env:
            raise UsageError(
                f"two environments given: -e {self.environment} and --env {env}",
                hint="Give one of them",
            )
        return env


pass_session = click.make_pass_decorator(Session)
