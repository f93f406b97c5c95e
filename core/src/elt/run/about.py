"""What a plugin declares about its settings (``--about --format json``), cached per executable.

singer-sdk plugins — ours and most of the ecosystem's — describe their settings as a JSON
Schema: names, types, and ``secret``/``writeOnly`` on credentials. elt reads it so that:

- a config key the plugin does not declare is passed through all the same (a plugin may
  accept more than it declares) but named in a warning, so a typo is not silently ignored;
- a value the plugin marks secret (``sqlalchemy_url``, ``connection_string``) is redacted in
  ``elt config list``, ``--dump config`` and run logs even when its name does not look
  secret;
- a value from an environment variable is typed as the plugin declares it
  (``TARGET_POSTGRES_PORT=5433`` reaches the plugin as the integer 5433).

Settings declared in plugins.yml win over the plugin's own. Plugins without ``--about``
(singer-python ones) declare nothing: nothing is warned, nothing is typed. The answer costs
one start of the plugin, so it is cached under ``$ELT_CACHE_DIR`` (default
``~/.cache/elt``) keyed by the executable's path, size and modification time — a reinstall
asks again — for a day (an editable install changes a plugin without touching its
executable).
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import orjson

from elt.files import atomic_write
from elt.project import SettingSpec, settings_from_schema

__all__ = ["cache_dir", "capabilities", "declared_settings", "plugin_about"]

logger = logging.getLogger(__name__)

ABOUT_TIMEOUT: Final = 60.0
# An editable install changes the plugin without touching its executable: ask again daily.
CACHE_SECONDS: Final = 24 * 3600


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$ELT_CACHE_DIR``, else ``$XDG_CACHE_HOME/elt``, else ``~/.cache/elt``."""
    env = os.environ if environ is None else environ
    if env.get("ELT_CACHE_DIR"):
        return Path(env["ELT_CACHE_DIR"])
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "elt"


def declared_settings(executable: Path, env: Mapping[str, str]) -> tuple[SettingSpec, ...] | None:
    """The settings ``executable --about --format json`` declares; None if it cannot say."""
    about = plugin_about(executable, env)
    return settings_from_schema(about.get("settings") if isinstance(about, dict) else None)


def capabilities(executable: Path, env: Mapping[str, str]) -> frozenset[str]:
    """The capabilities ``--about`` lists (``batch``, elt's ``elt-csv-batch``…); none if it
    cannot say."""
    about = plugin_about(executable, env)
    found = about.get("capabilities") if isinstance(about, dict) else None
    return (
        frozenset(c for c in found if isinstance(c, str))
        if isinstance(found, list)
        else frozenset()
    )


def plugin_about(executable: Path, env: Mapping[str, str]) -> Any:
    """``executable --about --format json`` as JSON (None if it has no such option), asked
    once per executable (see the module docstring)."""
    stat = executable.stat()
    identity = f"{executable}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()
    path = cache_dir(env) / "about" / f"{hashlib.sha256(identity).hexdigest()[:32]}.json"
    try:
        if time.time() - path.stat().st_mtime < CACHE_SECONDS:
            return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        pass
    about = _ask(executable, env)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, orjson.dumps(about).decode(), mode=0o600)
    except OSError as error:  # a cache that cannot be written only costs time
        logger.debug("cannot cache %s: %s", path, error)
    return about


def _ask(executable: Path, env: Mapping[str, str]) -> Any:
    try:
        done = subprocess.run(
            [str(executable), "--about", "--format", "json"],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=ABOUT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        logger.debug("%s --about failed: %s", executable, error)
        return None
    if done.returncode != 0:
        return None
    try:
        return orjson.loads(done.stdout)
    except orjson.JSONDecodeError:
        return None
