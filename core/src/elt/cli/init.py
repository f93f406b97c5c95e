"""``elt init``: start a project."""

from __future__ import annotations

from pathlib import Path

import click

from elt.project import init_project

__all__ = ["init"]


@click.command()
@click.argument(
    "directory", type=click.Path(file_okay=False, path_type=Path), default=Path(), required=False
)
@click.option("--force", is_flag=True, help="Replace an existing plugins.yml.")
def init(directory: Path, force: bool) -> None:
    """Create a project in DIRECTORY (default: the current one).

    Writes plugins.yml (empty, with a commented example and the schema line editors use),
    .gitignore entries for local state and secrets, and .env.example. An existing
    plugins.yml is only replaced with --force.

    \b
    Examples:
      elt init my-project
      elt init . --force
    """
    created = init_project(directory, force=force)
    for path in created.written:
        click.echo(f"wrote {path}")
    click.echo(f"\nNext: cd {created.root} && elt add --list, then elt add tap NAME")
