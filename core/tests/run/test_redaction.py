"""Secrets in the forms a server echoes them never reach stderr, the run log, the history or
an alert: a Basic header's base64, a fetched OAuth2 token, a URL-encoded key, and a
``--config`` object's ``key`` (the name rule tap-http uses for query parameters)."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

from core.tests.plugins import TAP, TARGET, ToyProject, elt_executable

PASSWORD = "s3cret pw/+="  # characters that URL-encoding and base64 both change
KEY = "k3y-value-42"
TOKEN = "fetched-tok-8f7e6d5c"  # the OAuth2 endpoint's, never in elt's config


def test_derived_forms_of_secrets_and_fetched_tokens_are_redacted_everywhere(
    toy: ToyProject, tmp_path: Path
) -> None:
    basic = base64.b64encode(f"ada:{PASSWORD}".encode()).decode()
    refusal = [
        f"401 Unauthorized: the request carried Authorization: Basic {basic}",
        f'token endpoint said {{"access_token": "{TOKEN}", "token_type": "bearer"}}',
        f"GET https://api.example.com/items?key={KEY}&page=2 with Bearer {TOKEN}",
        "retrying with password=s3cret%20pw%2F%2B%3D",
    ]
    auth = {"type": "basic", "username": "ada", "password": PASSWORD}
    toy.write(tap={"auth": auth, "refused_with": refusal})
    document = json.loads((toy.root / "plugins.yml").read_text())
    alert = tmp_path / "alert.json"
    document["alerts"] = [{"on": ["failure"], "command": f"cat > {alert}"}]
    (toy.root / "plugins.yml").write_text(json.dumps(document))
    done = subprocess.run(
        [
            elt_executable(),
            "--project",
            str(toy.root),
            "--log-level",
            "debug",
            "run",
            TAP,
            TARGET,
            "--config",
            f'{TAP}.params={{"key": "{KEY}", "page": 1}}',
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 70
    log = toy.logs()[0].read_text()
    runs = subprocess.run(
        [elt_executable(), "--project", str(toy.root), "runs", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    everything = {"stderr": done.stderr, "log": log, "history": runs, "alert": alert.read_text()}
    for where, text in everything.items():
        for secret in (PASSWORD, basic, basic.rstrip("="), TOKEN, KEY, "s3cret%20pw"):
            assert secret not in text, f"{secret!r} in the {where}"
    assert "Authorization: Basic ********" in done.stderr
    assert '"access_token": "********"' in log
    assert '"params": {"key": "********", "page": 1}}' in log
    assert json.loads(runs)[0]["overrides"] == {TAP: {"params": {"key": "********", "page": 1}}}
    assert "?key=********&page=2 with Bearer ********" in json.loads(alert.read_text())["error"]
