"""``elt install``: build or update the virtualenv of each plugin."""

from __future__ import annotations

from pathlib import Path

import click

from elt.cli.render import table
from elt.cli.session import Session, pass_session
from elt.errors import PluginError
from elt.install import Installer, InstallResult, InstallStatus, install_plugins
from elt.project import load_project

__all__ = ["install"]


@click.command()
@click.argument("plugins", nargs=-1, metavar="[PLUGIN]...")
@click.option("--clean", is_flag=True, help="Rebuild each venv even when it is up to date.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=4,
    metavar="N",
    show_default=True,
    help="How many venvs to build at once.",
)
@click.option(
    "--installer",
    type=click.Choice([i.value for i in Installer]),
    default=Installer.AUTO.value,
    show_default=True,
    help="Tool that builds venvs: uv, pip (python -m venv + pip), or auto (uv when found).",
)
@pass_session
def install(
    session: Session, *, plugins: tuple[str, ...], clean: bool, jobs: int, installer: str
) -> None:
    """Install PLUGINs (default: all) into their own virtualenvs.

    Each plugin gets .elt/plugins/<kind>/<name>/venv, built from its pip_url: PyPI
    requirements, local paths (relative to the project), git URLs, several separated by
    spaces. Plugins with inherit_from and no pip_url of their own share their parent's venv.
    elt's own plugins (tap-csv, target-postgres, ...) without a pip_url install from the elt
    repository when elt runs from a checkout, else as elt's own distribution at elt's
    version (elt-tap-csv==X.Y.Z), found in the project's find_links wheelhouses
    (ELT_FIND_LINKS) or its index_url (ELT_INDEX_URL), then the default index. A venv whose
    pip_url, local sources, Python and elt version are unchanged is skipped; a failed install
    keeps the previous venv and shows where it looked and the end of the installer's output
    (exit 70).

    \b
    Examples:
      elt install
      elt install tap-csv target-postgres -j 2
      elt install target-jsonl --clean --installer pip
    """
    # installing needs no config: a ${PGPASSWORD} unset on this machine must not stop it
    project = load_project(session.root(), interpolate=False)
    results = install_plugins(
        project, plugins, clean=clean, jobs=jobs, installer=Installer(installer)
    )
    rows = [[r.plugin, r.status.value, _detail(r, project.root)] for r in results]
    click.echo(table(["plugin", "status", "venv"], rows))
    failed = [r for r in results if r.error is not None]
    if len(failed) == 1 and failed[0].error is not None:
        raise failed[0].error
    for result in failed:
        click.echo(f"error: {result.error}", err=True)
    if failed:
        raise PluginError(
            f"{len(failed)} plugins failed to install: {', '.join(r.plugin for r in failed)}",
            hint="See the errors above",
        )


def _detail(result: InstallResult, root: Path) -> str:
    if result.shared:
        return f"{result.owner}'s venv"
    where = str(result.venv.relative_to(root) if result.venv.is_relative_to(root) else result.venv)
    if result.status in (InstallStatus.INSTALLED, InstallStatus.UPDATED) and result.installer:
        return f"{where} ({result.installer.value}, {result.duration:.1f} s)"
    return where
