"""The README's configuration works as written: its JSON example against a local API that
answers as the example's API would, and every documented default is tap-http's default."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.fixtures.apiserver import ApiServer, Reply, Request
from tests.fixtures.taps import parse

README = Path(__file__).parents[1] / "README.md"
TAP = Path(sys.executable).with_name("tap-http")
EXAMPLE_URL = "https://api.example.com/v2"

USERS = [{"id": i, "updated_at": f"2026-01-0{i}T00:00:00Z"} for i in range(1, 4)]


def _json_blocks() -> list[str]:
    return re.findall(r"```json\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def _example_api(api: ApiServer) -> None:
    """The API of the README's example: cursor `after`, `$.meta.next`, `$.data[*]`."""

    def users(request: Request) -> Reply:
        if request.headers.get("authorization") != "Bearer your-api-token":
            return Reply(401, {"error": "token"})
        start = int(request.query.get("after", "0"))
        following = str(start + 2) if start + 2 < len(USERS) else None
        return Reply(body={"data": USERS[start : start + 2], "meta": {"next": following}})

    api.routes["/v2/users"] = users
    for user in USERS:
        api.routes[f"/v2/users/{user['id']}/orders"] = lambda r, i=user["id"]: Reply(
            body={"data": [{"order_id": i * 10}], "meta": {}}
        )


def test_the_readme_example_config_runs_as_written(api: ApiServer) -> None:
    (example,) = _json_blocks()
    assert EXAMPLE_URL in example
    _example_api(api)
    inline = example.replace(EXAMPLE_URL, f"{api.url}/v2")
    done = subprocess.run(
        [str(TAP), "--config", inline], capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    messages = parse(done.stdout)
    records = [(m["stream"], m["record"]) for m in messages if m["type"] == "RECORD"]
    assert [r for s, r in records if s == "users"] == USERS
    assert sorted(r["order_id"] for s, r in records if s == "orders") == [10, 20, 30]
    assert "updated_since" not in api.hits("/v2/users")[0].query


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
