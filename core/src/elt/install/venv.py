"""Building one virtualenv with uv or with the standard library's venv and pip.

uv is the default when it can be found (on ``PATH``, beside the running Python, or in the
checkout's ``.tools/bin``): it installs from a shared cache in about a second. Without it,
``python -m venv`` and that venv's pip do the same, slower. Either way the venv is built on
the running interpreter and never on a Python an installer would download.

A venv is built in a staging directory beside its final place and moved there only once the
install succeeded (:func:`replace_venv`), so a failed install leaves the working one alone.
Venvs are not relocatable as made (scripts start with ``#!<venv>/bin/python``), so before
the move the staging path is rewritten to the final one in the files of ``bin/``, the only
place either installer writes it (with byte-code compilation off).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

from elt.errors import PluginError
from elt.install.requirements import Requirements, checkout
from elt.install.sources import Sources, default_index
from elt.project import REDACTED, redact, url_password

__all__ = [
    "Installer",
    "build_venv",
    "find_uv",
    "recover",
    "replace_venv",
    "resolve_installer",
    "shown_command",
    "staging_dir",
]

log = logging.getLogger(__name__)

OUTPUT_TAIL_LINES = 25


class Installer(StrEnum):
    """Which tool builds venvs: ``auto`` is uv when found, else pip."""

    AUTO = "auto"
    UV = "uv"
    PIP = "pip"


def find_uv() -> Path | None:
    """The uv executable: on PATH, beside the running Python, or in the checkout's tools."""
    places = [Path(sys.executable).parent / "uv"]
    repository = checkout()
    if repository is not None:
        places.append(repository / ".tools" / "bin" / "uv")
    on_path = shutil.which("uv")
    for place in ([Path(on_path)] if on_path else []) + places:
        if place.is_file() and os.access(place, os.X_OK):
            return place
    return None


def resolve_installer(choice: Installer) -> tuple[Installer, Path | None]:
    """The installer to use and, for uv, its executable; refuse ``uv`` when there is none."""
    uv = find_uv() if choice is not Installer.PIP else None
    if uv is not None:
        return Installer.UV, uv
    if choice is Installer.UV:
        raise PluginError(
            "uv was asked for but is not on PATH, beside this Python, or in .tools/bin",
            hint="Install it (pip install uv), or use --installer pip",
        )
    return Installer.PIP, None


def staging_dir(venv: Path) -> Path:
    """A new, empty directory beside ``venv`` to build the next version in."""
    venv.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=venv.parent, prefix=f".{venv.name}.new-")).absolute()
    staging.chmod(0o755)
    return staging


def build_venv(
    staging: Path,
    requirements: Requirements,
    *,
    installer: Installer,
    uv: Path | None,
    cwd: Path,
    where: str,
    sources: Sources,
) -> None:
    """Create a venv in ``staging`` and install ``requirements`` into it, looking in
    ``sources`` too.

    Raises PluginError with the end of the installer's output, and where it looked for
    packages, when a step fails.
    """
    python = staging / "bin" / "python"
    wanted = [*sources.args, *requirements.args]
    if installer is Installer.UV and uv is not None:
        refresh = [f"--refresh-package={name}" for name in requirements.local_projects]
        if requirements.distribution is not None:
            # a wheelhouse rebuilt at the same version (a checkout's `make dist`) holds other
            # wheels under the same names: uv must not take its cached ones
            own = requirements.distribution.partition("==")[0].partition("[")[0]
            refresh += [f"--refresh-package={own}", "--refresh-package=elt-core"]
        steps = [
            [str(uv), "venv", "--quiet", "--no-project", "--python", sys.executable, str(staging)],
            [str(uv), "pip", "install", "--python", str(python), *refresh, *wanted],
        ]
    else:
        pip = [str(python), "-m", "pip", "--disable-pip-version-check", "--no-input"]
        steps = [
            [sys.executable, "-m", "venv", "--clear", str(staging)],
            [*pip, "install", "--no-compile", *wanted],
        ]
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    passwords = [p for word in wanted if (p := url_password(word))]
    for argv in steps:
        log.debug("running %s", shown_command(argv))
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            check=False,
        )
        log.debug("%s", done.stdout)
        if done.returncode != 0:
            tail = "\n".join(done.stdout.rstrip().splitlines()[-OUTPUT_TAIL_LINES:])
            for password in passwords:
                tail = tail.replace(password, REDACTED)
            command = " ".join([Path(argv[0]).name, *argv[1:3]])
            looked = sources.describe(default_index(env, uv=installer is Installer.UV))
            raise PluginError(
                f"`{command} ...` failed with exit code {done.returncode}; it looked in "
                f"{looked}; its output ends:\n{tail}\n",
                where=where,
                hint=_hint(requirements),
            )


def shown_command(argv: Sequence[str]) -> str:
    """A command line for a log, with the password of any URL in it as ``********``."""
    return " ".join(str(redact(word, secret=False)) for word in argv)


def _hint(requirements: Requirements) -> str:
    kept = "The previous virtualenv, if any, is kept"
    if requirements.distribution is None:
        return f"{kept}; fix pip_url in plugins.yml or the package, then run `elt install` again"
    return (
        f"{kept}. elt's own plugins install as {requirements.distribution} when elt does not "
        "run from its repository: put its wheel in a wheelhouse (find_links in plugins.yml or "
        "ELT_FIND_LINKS; `make dist` builds them) or name the index that has it (index_url or "
        "ELT_INDEX_URL), then run `elt install` again"
    )


def replace_venv(staging: Path, venv: Path) -> None:
    """Move the built venv in ``staging`` to ``venv``, then remove the one it replaces.

    Between the two renames there is no ``venv`` for a moment; a crash there leaves the old
    one as ``.venv.old-*``, which :func:`recover` puts back.
    """
    _retarget(staging / "bin", str(staging.absolute()), str(venv.absolute()))
    old = venv.parent / f".{venv.name}.old-{staging.name.rsplit('-', 1)[-1]}"
    if venv.exists():
        venv.rename(old)
    staging.rename(venv)
    shutil.rmtree(old, ignore_errors=True)


def recover(venv: Path) -> None:
    """Clean up after an install that died: drop staging dirs, restore a moved-away venv."""
    for leftover in sorted(venv.parent.glob(f".{venv.name}.new-*")):
        shutil.rmtree(leftover, ignore_errors=True)
    for old in sorted(venv.parent.glob(f".{venv.name}.old-*")):
        if venv.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.rename(venv)


def _retarget(bin_dir: Path, old: str, new: str) -> None:
    """Rewrite ``old`` to ``new`` in the scripts of ``bin_dir`` (links and binaries stay)."""
    before, after = old.encode(), new.encode()
    for path in bin_dir.iterdir():
        if path.is_symlink() or not path.is_file():
            continue
        content = path.read_bytes()
        if before in content and b"\0" not in content:
            path.write_bytes(content.replace(before, after))
