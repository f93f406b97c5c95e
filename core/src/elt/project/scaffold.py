"""A new project: the files ``elt init`` writes.

The plugins.yml it writes is valid and empty, with the schema line editors need and a
commented example of every section, made of plugins of elt's catalogue, so the first edit
can start from something that installs and works.
Secrets have a place from day one: ``.env`` is ignored by git and ``.env.example`` shows what
goes in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from elt.errors import ProjectError
from elt.files import atomic_write
from elt.project.project import DOTENV_FILE, PROJECT_FILE
from elt.project.schema import render_schema

__all__ = ["ProjectCreated", "init_project"]

SCHEMA_COPY = Path(".elt") / "plugins.schema.json"

PLUGINS_TEMPLATE = f"""\
# yaml-language-server: $schema={SCHEMA_COPY.as_posix()}
#
# The plugins of this elt project and their configuration.
#   elt add --list                            the plugins elt knows (its catalogue, offline)
#   elt add tap tap-csv                       add one of them
#   elt add target target-mine --pip-url 'git+https://github.com/org/target-mine'   any other
#   elt config list tap-csv --all             every setting it declares, and its value
#   elt config set tap-csv delimiter ";"      set a value (secrets go to .env)
#   elt remove target target-mine             take one out again
#
# Example (what `elt add` writes for catalogue plugins, then config):
#
# plugins:
#   taps:
#     - name: tap-csv
#       config:
#         files: [{{entity: users, path: data/users.csv, keys: [id]}}]
#       select: ["users.*", "!users.password"]
#   targets:
#     - name: target-postgres
#       config:
#         host: ${{PGHOST:-localhost}}
#         password: ${{PGPASSWORD}}            # from the environment or .env
#       settings:
#         - {{name: port, kind: integer, default: 5432}}
#     - name: target-jsonl
#       pip_url: target-jsonl==0.1.4
#       config: {{destination_path: output}}
# environments:
#   - name: dev
#     plugins:
#       targets:
#         - name: target-postgres
#           config: {{database: dev}}
# find_links: [wheels]   # where elt's own plugins' wheels are, if not on the package index

version: 1
default_environment: dev
plugins:
  taps: []
  targets: []
  mappers: []
environments:
  - name: dev
  - name: prod
"""

GITIGNORE_LINES = (".elt/", DOTENV_FILE, "output/")

DOTENV_EXAMPLE = """\
# Copy to .env and fill in; .env is never committed. elt reads it (without exporting it)
# for ${VAR} references in plugins.yml and for <PLUGIN>_<SETTING> overrides, e.g.:
# PGPASSWORD=...
# TAP_CSV_DELIMITER=;
"""


@dataclass(frozen=True)
class ProjectCreated:
    """The new project's root and the files written or extended."""

    root: Path
    written: tuple[Path, ...]


def init_project(directory: Path, *, force: bool = False) -> ProjectCreated:
    """Create a project in ``directory`` (made if missing).

    An existing plugins.yml is only replaced with ``force``; an existing .gitignore gets the
    missing lines appended; an existing .env.example is left alone.
    """
    root = directory.resolve()
    plugins = root / PROJECT_FILE
    if plugins.exists() and not force:
        raise ProjectError(
            f"{PROJECT_FILE} already exists in {root}",
            hint="Pass --force to replace it with a new, empty project file",
        )
    try:
        root.mkdir(parents=True, exist_ok=True)
        (root / SCHEMA_COPY).parent.mkdir(exist_ok=True)
        written = [plugins, root / SCHEMA_COPY]
        atomic_write(plugins, PLUGINS_TEMPLATE)
        atomic_write(root / SCHEMA_COPY, render_schema())
        if _extend_gitignore(root / ".gitignore"):
            written.append(root / ".gitignore")
        example = root / f"{DOTENV_FILE}.example"
        if not example.exists():
            atomic_write(example, DOTENV_EXAMPLE)
            written.append(example)
    except OSError as error:
        raise ProjectError(f"cannot create the project: {error}", where=str(root)) from None
    return ProjectCreated(root, tuple(written))


def _extend_gitignore(path: Path) -> bool:
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    present = {line.strip() for line in current.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line not in present]
    if not missing:
        return False
    separator = "" if not current or current.endswith("\n") else "\n"
    atomic_write(path, current + separator + "\n".join(missing) + "\n")
    return True
