"""Every default the README documents is the default tap-http declares (its examples run in
tests/readme/tap_http_examples.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

README = Path(__file__).parents[1] / "README.md"
TAP = Path(sys.executable).with_name("tap-http")


def _documented_defaults() -> dict[str, Any]:
    """The literal defaults of the README's top-level settings table."""
    text = README.read_text(encoding="utf-8")
    table = text.split("## Settings", 1)[1].split("###", 1)[0]
    defaults: dict[str, Any] = {}
    for name, default in re.findall(r"^\| `(\w+)` \| `([^`]+)` \|", table, re.M):
        try:
            defaults[name] = json.loads(default)
        except json.JSONDecodeError:
            continue
    return defaults


def test_every_documented_default_is_the_default_tap_http_declares() -> None:
    about = json.loads(
        subprocess.run(
            [str(TAP), "--about", "--format", "json"], capture_output=True, check=True
        ).stdout
    )
    settings = about["settings"]["properties"]
    documented = _documented_defaults()
    assert {"timeout", "verify_ssl", "max_tries", "backoff_factor", "backoff_max"} <= set(
        documented
    )
    for name, default in documented.items():
        if isinstance(default, dict | list):
            assert "default" not in settings[name] or settings[name]["default"] == default
        else:
            assert settings[name].get("default") == default, name
