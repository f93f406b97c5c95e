"""``elt schema``: the JSON Schema of plugins.yml."""

from __future__ import annotations

import click

from elt.project import render_schema

__all__ = ["schema"]


@click.command()
def schema() -> None:
    """Print the JSON Schema of plugins.yml, for editors and CI checks.

    \b
    Examples:
      elt schema > plugins.schema.json
      elt schema > .elt/plugins.schema.json   # the copy `elt init` points editors at
    """
    click.echo(render_schema(), nl=False)
