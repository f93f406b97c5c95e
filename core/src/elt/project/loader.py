"""Finding and loading a project: plugins.yml in, a validated :class:`Project` out.

Loading runs every check before giving up, so one run of ``elt`` lists every problem in the
file (syntax errors excepted: after one, YAML cannot be read further). The steps:

1. parse with ruamel.yaml in round-trip mode, keeping each node's line;
2. interpolate ``${VAR}`` in string values from the process environment, then ``.env``;
3. validate against the pydantic model (:mod:`elt.project.model`);
4. check names and references across entries, then coerce config values to their kinds.

Every problem is reported with its dotted YAML path and line (:mod:`elt.project.problems`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import ValidationError

from elt.errors import ProjectError
from elt.project.checks import check_references, coerce_config
from elt.project.interpolate import interpolate_tree, lookup_in, referenced_variables
from elt.project.kinds import describe
from elt.project.model import Manifest
from elt.project.problems import Problem, from_validation_error, project_error
from elt.project.project import DOTENV_FILE, PROJECT_FILE, Project
from elt.project.yamlio import line_of, parse, to_plain

__all__ = ["find_project_root", "load_project", "read_dotenv", "validate_document"]


def find_project_root(explicit: Path | None = None, *, start: Path | None = None) -> Path:
    """The directory holding plugins.yml: ``explicit`` if given, else the nearest ancestor.

    The search starts at ``start`` (default: the working directory) and walks up, so
    ``elt`` works from any subdirectory of a project, like git does.
    """
    if explicit is not None:
        root = explicit.parent if explicit.name == PROJECT_FILE else explicit
        if not (root / PROJECT_FILE).is_file():
            raise ProjectError(
                f"no {PROJECT_FILE} in {root}",
                hint=f"Run `elt init {root}` to create a project there",
            )
        return root.resolve()
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / PROJECT_FILE).is_file():
            return directory
    raise ProjectError(
        f"no {PROJECT_FILE} in {here} or any parent directory",
        hint="Run `elt init .` to create a project, or pass --project DIR",
    )


def read_dotenv(root: Path) -> dict[str, str]:
    """The variables of the project's ``.env``; it is read, never exported to os.environ.

    Values are taken literally, without python-dotenv's ``${VAR}`` expansion: a generated
    password may well contain ``${``, and expanding it would silently change the secret.
    """
    path = root / DOTENV_FILE
    if not path.is_file():
        return {}
    values = dotenv_values(path, interpolate=False)
    return {key: value for key, value in values.items() if value is not None}


def load_project(
    root: Path, *, environ: Mapping[str, str] | None = None, interpolate: bool = True
) -> Project:
    """Load and validate the project in ``root``; a ProjectError lists everything wrong.

    ``environ`` defaults to a snapshot of os.environ. ``interpolate=False`` keeps ``${VAR}``
    references as written, for tools that edit the file and must not need its secrets.
    """
    environ = dict(os.environ if environ is None else environ)
    dotenv = read_dotenv(root)
    text = _read(root / PROJECT_FILE)
    document = parse(text, label=PROJECT_FILE)
    manifest = validate_document(document, lookup_from=(environ, dotenv) if interpolate else None)
    return Project(root, manifest, dotenv, environ, referenced_variables(to_plain(document)))


def validate_document(
    document: Any, *, lookup_from: tuple[Mapping[str, str], ...] | None
) -> Manifest:
    """Validate a parsed plugins.yml; interpolate from ``lookup_from`` unless it is None."""
    if document is None:
        raise ProjectError("the file is empty; expected version and plugins", where=PROJECT_FILE)
    if not isinstance(document, dict):
        raise ProjectError(
            f"expected a mapping at the top level, got {describe(to_plain(document))}",
            where=f"{PROJECT_FILE}:1",
        )
    tree = to_plain(document)
    problems: list[Problem] = []
    if lookup_from is not None:
        tree, problems = interpolate_tree(tree, lookup_in(*lookup_from))
    manifest = None
    try:
        manifest = Manifest.model_validate(tree)
    except ValidationError as error:
        problems += from_validation_error(error)
    if manifest is not None:
        references = check_references(manifest)
        problems += references
        if not references:
            # values whose interpolation failed were reported already; do not re-report them
            unresolved = lookup_from is None or bool(problems)
            manifest, found = coerce_config(manifest, unresolved=unresolved)
            problems += found
    if problems or manifest is None:
        raise project_error(
            problems, label=PROJECT_FILE, line_of=lambda loc: line_of(document, loc)
        )
    return manifest


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectError(
            f"no {PROJECT_FILE} in {path.parent}",
            hint=f"Run `elt init {path.parent}` to create a project there",
        ) from None
    except UnicodeDecodeError as error:
        raise ProjectError(f"not UTF-8 text (byte {error.start})", where=str(path)) from None
    except OSError as error:
        raise ProjectError(f"cannot read: {error.strerror}", where=str(path)) from None
