"""What ``pip install`` gets for a plugin: its ``pip_url`` turned into installer arguments.

``pip_url`` is what a person would type after ``pip install``: one or several PyPI
requirements, local paths (relative to the project root), git or other URLs, and pip options
(``-e``, ``--index-url``...), separated by spaces. Local paths are made absolute here, since
the installer runs elsewhere than where the file was written, and are reported separately so
the fingerprint can follow their content.

Built-in plugins (:data:`BUILTINS`) that set no ``pip_url`` install from the repository
checkout when elt runs from one (the same source, so the venv runs the code being developed),
and from their published name otherwise. Our plugins depend on ``elt[sdk]``, and ``elt`` on
PyPI is somebody else's project: so when elt runs from a checkout, any local package that
depends on ``elt`` is installed together with the checkout's ``core``, which the resolver then
takes as the ``elt`` it needs (extras included).
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from elt.errors import PluginError
from elt.install.layout import venv_owner
from elt.project import Plugin

__all__ = ["BUILTINS", "Requirements", "checkout", "requirements"]

BUILTINS: dict[str, str] = {
    "tap-csv": "taps/tap-csv",
    "tap-http": "taps/tap-http",
    "tap-postgres": "taps/tap-postgres",
    "target-postgres": "targets/target-postgres",
    "target-files": "targets/target-files",
    "target-s3": "targets/target-s3",
    "target-gcs": "targets/target-gcs",
    "target-azure": "targets/target-azure",
}

# pip options whose value is the next word; -r/-c/-f values may be local paths
_VALUE_OPTIONS = {"-i", "--index-url", "--extra-index-url", "-r", "--requirement", "-c",
                  "--constraint", "-f", "--find-links", "--trusted-host"}  # fmt: skip
_PATH_OPTIONS = {"-r", "--requirement", "-c", "--constraint", "-f", "--find-links"}
_EDITABLE = {"-e", "--editable"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class Requirements:
    """Installer arguments for one venv, and the local sources among them."""

    args: tuple[str, ...]
    local_paths: tuple[Path, ...]
    local_projects: tuple[str, ...]
    """Project names of the local directories: uv caches a build of a local directory until
    its pyproject.toml changes, so these are rebuilt on every install (``--refresh-package``)."""


def requirements(root: Path, plugin: Plugin) -> Requirements:
    """The installer arguments of ``plugin``'s venv (see the module docstring)."""
    owner = venv_owner(plugin)
    builtin = _builtin_source(owner)
    words = [str(builtin)] if builtin else _words(owner.pip_url)
    if not words:
        raise PluginError(
            f"pip_url of {owner.name} is empty",
            where=owner.path,
            hint="Set pip_url to what `pip install` should get, e.g. the PyPI name",
        )
    args: list[str] = []
    paths: list[Path] = []
    take_path = False
    for word in words:
        if word.startswith("-"):
            args.append(word)
            take_path = word in _PATH_OPTIONS or word in _EDITABLE
            continue
        if (take_path or not args or args[-1] not in _VALUE_OPTIONS) and _looks_local(word):
            text, extras = _split_extras(word)
            path = _local_path(root, owner, text)
            paths.append(path)
            args.append(f"{path}{extras}")
        else:
            args.append(word)
        take_path = False
    projects = [_project(path) for path in paths]
    names = [p[0] for p in projects if p[0]]
    core = checkout()
    if core is not None and "elt" not in names and any(p[1] for p in projects):
        args.append(str(core / "core"))
        paths.append(core / "core")
        names.append("elt")
    return Requirements(tuple(args), tuple(paths), tuple(names))


@cache
def checkout() -> Path | None:
    """The repository root when elt runs from a source checkout, else None.

    This module is ``core/src/elt/install/requirements.py`` there; an installed wheel has no
    ``core/pyproject.toml`` naming the ``elt`` project three levels up.
    """
    core = Path(__file__).resolve().parents[3]
    if _project(core)[0] != "elt" or not (core.parent / "taps").is_dir():
        return None
    return core.parent


def _builtin_source(owner: Plugin) -> Path | None:
    """The checkout directory of a built-in plugin that does not say where to install from."""
    if owner.spec.pip_url is not None or owner.name not in BUILTINS:
        return None
    repository = checkout()
    if repository is None or not (repository / BUILTINS[owner.name]).is_dir():
        return None
    return repository / BUILTINS[owner.name]


def _words(pip_url: str) -> list[str]:
    """Split like a shell; ``name @ url`` stays one requirement."""
    words = shlex.split(pip_url)
    joined: list[str] = []
    index = 0
    while index < len(words):
        if index + 2 < len(words) and words[index + 1] == "@":
            joined.append(f"{words[index]} @ {words[index + 2]}")
            index += 3
        else:
            joined.append(words[index])
            index += 1
    return joined


def _looks_local(word: str) -> bool:
    """A path, as pip tells one from a requirement: it starts with ``.``, ``/`` or ``~``, or
    has a ``/`` and is no URL (``git+https://``, ``name @ url``)."""
    if "://" in word or " @ " in word or word.startswith(("git+", "hg+", "svn+", "bzr+")):
        return False
    return word.startswith((".", "/", "~")) or "/" in word


def _split_extras(word: str) -> tuple[str, str]:
    """``./core[sdk]`` -> (``./core``, ``[sdk]``)."""
    if word.endswith("]") and "[" in word:
        at = word.rindex("[")
        return word[:at], word[at:]
    return word, ""


def _local_path(root: Path, owner: Plugin, text: str) -> Path:
    path = (root / Path(text).expanduser()).resolve()
    if not path.exists():
        raise PluginError(
            f"pip_url of {owner.name} names {text!r}, which does not exist ({path})",
            where=owner.path,
            hint="Local paths in pip_url are relative to the project root",
        )
    return path


def _project(path: Path) -> tuple[str | None, bool]:
    """The project name of a local directory and whether it depends on ``elt``."""
    try:
        with (path / "pyproject.toml").open("rb") as file:
            project = tomllib.load(file).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None, False
    names = [_NAME.match(dependency) for dependency in project.get("dependencies", [])]
    on_elt = any(m is not None and m.group().lower() == "elt" for m in names)
    name = project.get("name")
    return (name if isinstance(name, str) else None), on_elt
