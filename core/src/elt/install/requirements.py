"""What ``pip install`` gets for a plugin: its ``pip_url`` turned into installer arguments,
and where the installer finds packages.

``pip_url`` is what a person would type after ``pip install``: one or several PyPI
requirements, local paths (relative to the project root), git or other URLs, and pip options
(``-e``, ``--index-url``...), separated by spaces. Local paths are made absolute here, since
the installer runs elsewhere than where the file was written, and are reported separately so
the fingerprint can follow their content.

elt's own plugins (the catalogue's, :mod:`elt.project.catalogue`) that set no ``pip_url``
install elt's own distribution of the plugin at elt's own version, from wherever elt came
from (:class:`Origin`):

- from the repository checkout elt runs from, if it does (the same source, so the venv runs
  the code being developed), together with the checkout's ``core``: our plugins depend on
  ``elt-core``, which the resolver then takes from there, extras included. Any other local
  package that depends on ``elt-core`` gets the checkout's core the same way;
- otherwise as ``elt-tap-csv==<elt's version>``, never by the bare name: ``tap-csv``,
  ``target-postgres``, ``target-s3`` on the index are other people's programs. The installer
  finds it in the project's sources (:mod:`elt.install.sources`): wheelhouses and an index,
  then the default index.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from elt.errors import PluginError
from elt.install.layout import venv_owner
from elt.project import Plugin, entry_for

__all__ = [
    "CORE_DISTRIBUTION",
    "Origin",
    "Requirements",
    "checkout",
    "elt_origin",
    "requirements",
]

#: elt's own distribution (``elt`` on the index is another project's); the import package
#: ``elt`` names it too, but this layer may not import it.
CORE_DISTRIBUTION = "elt-core"

# pip options whose value is the next word; -r/-c/-f values may be local paths
_VALUE_OPTIONS = {"-i", "--index-url", "--extra-index-url", "-r", "--requirement", "-c",
                  "--constraint", "-f", "--find-links", "--trusted-host"}  # fmt: skip
_PATH_OPTIONS = {"-r", "--requirement", "-c", "--constraint", "-f", "--find-links"}
_EDITABLE = {"-e", "--editable"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class Origin:
    """Where the running elt came from: the checkout it runs from (None when installed from
    a wheel), and its version, which its own plugins are installed at."""

    repository: Path | None
    version: str


@cache
def elt_origin() -> Origin:
    """The running elt's :class:`Origin`."""
    try:
        installed = version(CORE_DISTRIBUTION)
    except PackageNotFoundError:  # a source tree that was never installed
        installed = "0.0.0"
    return Origin(checkout(), installed)


@dataclass(frozen=True)
class Requirements:
    """Installer arguments for one venv, and the local sources among them."""

    args: tuple[str, ...]
    local_paths: tuple[Path, ...]
    local_projects: tuple[str, ...]
    """Project names of the local directories: uv caches a build of a local directory until
    its pyproject.toml changes, so these are rebuilt on every install (``--refresh-package``)."""
    elt_version: str = ""
    """The version of the elt that installs: its own plugins are installed at it, so an
    upgrade of elt reinstalls them."""
    distribution: str | None = None
    """elt's own distribution installed by name (``elt-tap-csv==0.1.0``), if that is what
    this installs: an error then says where such wheels come from."""


def requirements(root: Path, plugin: Plugin, *, origin: Origin | None = None) -> Requirements:
    """The installer arguments of ``plugin``'s venv (see the module docstring); ``origin``
    is the running elt's unless given."""
    origin = origin or elt_origin()
    owner = venv_owner(plugin)
    own = _own_plugin(owner, origin)
    words = own or _words(owner.pip_url)
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
    core = origin.repository
    if core is not None and CORE_DISTRIBUTION not in names and any(p[1] for p in projects):
        args.append(str(core / "core"))
        paths.append(core / "core")
        names.append(CORE_DISTRIBUTION)
    by_name = own[0] if own and not paths else None
    return Requirements(tuple(args), tuple(paths), tuple(names), origin.version, by_name)


@cache
def checkout() -> Path | None:
    """The repository root when elt runs from a source checkout, else None.

    This module is ``core/src/elt/install/requirements.py`` there; an installed wheel has no
    ``core/pyproject.toml`` naming the ``elt-core`` project three levels up.
    """
    core = Path(__file__).resolve().parents[3]
    if _project(core)[0] != CORE_DISTRIBUTION or not (core.parent / "taps").is_dir():
        return None
    return core.parent


def _own_plugin(owner: Plugin, origin: Origin) -> list[str]:
    """What installs one of elt's own plugins that sets no pip_url (none for another)."""
    entry = entry_for(owner)
    if entry is None or not entry.own:
        return []
    if origin.repository is not None and entry.source is not None:
        source = origin.repository / entry.source
        if source.is_dir():
            return [str(source)]
    return [f"{entry.distribution}=={origin.version}"]


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
    """The project name of a local directory and whether it depends on ``elt-core``."""
    try:
        with (path / "pyproject.toml").open("rb") as file:
            project = tomllib.load(file).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None, False
    names = [_NAME.match(dependency) for dependency in project.get("dependencies", [])]
    on_elt = any(m is not None and _normal(m.group()) == CORE_DISTRIBUTION for m in names)
    name = project.get("name")
    return (name if isinstance(name, str) else None), on_elt


def _normal(name: str) -> str:
    """A distribution name as the index compares them (PEP 503): ``Elt_Core`` is ``elt-core``."""
    return re.sub(r"[-_.]+", "-", name).lower()
