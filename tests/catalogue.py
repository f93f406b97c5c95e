"""``make catalogue``: write elt's own plugins into the catalogue from their ``--about``.

The catalogue (``core/src/elt/project/catalogue.json``, see :mod:`elt.project.catalogue`)
ships with elt; the entries of elt's own plugins must say what the plugins declare, so they
are generated from the workspace's executables rather than written by hand, and
``core/tests/project/test_catalogue.py`` fails when the file is stale. The third-party
entries are kept as they are: they describe pinned versions that do not change.

Run it with the workspace's Python: ``.venv/bin/python -m tests.catalogue``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from elt.project.catalogue import CATALOGUE_FILE, FORMAT, settings_from_schema
from elt.project.model import SettingSpec

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def own_entries() -> list[dict[str, Any]]:
    """An entry per plugin directory of the repository, from its pyproject and ``--about``."""
    entries = []
    for directory in sorted([*REPO.glob("taps/*"), *REPO.glob("targets/*")]):
        with (directory / "pyproject.toml").open("rb") as file:
            project = tomllib.load(file)["project"]
        [executable] = project["scripts"]
        about = json.loads(
            subprocess.run(
                [str(BIN / executable), "--about", "--format", "json"],
                capture_output=True,
                check=True,
            ).stdout
        )
        entries.append(
            {
                "name": executable,
                "kind": executable.split("-", 1)[0],
                "description": project["description"],
                "distribution": project["name"],
                "source": directory.relative_to(REPO).as_posix(),
                "capabilities": sorted(about["capabilities"]),
                "settings": [compact(s) for s in settings_from_schema(about["settings"]) or ()],
            }
        )
    return entries


def compact(setting: SettingSpec) -> dict[str, Any]:
    """A setting as the catalogue writes it: what differs from SettingSpec's defaults."""
    return setting.model_dump(mode="json", exclude_defaults=True)


def render(entries: list[dict[str, Any]]) -> str:
    """The catalogue file holding ``entries``."""
    document = {"format": FORMAT, "plugins": sorted(entries, key=lambda e: (e["kind"], e["name"]))}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def current() -> str:
    """The catalogue as it should be: elt's own entries fresh, the third-party ones kept."""
    kept = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))["plugins"]
    return render([*own_entries(), *(e for e in kept if "pip_url" in e)])


if __name__ == "__main__":
    CATALOGUE_FILE.write_text(current(), encoding="utf-8")
