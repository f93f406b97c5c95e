from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from core.tests.install.packages import write_project
from core.tests.plugins import elt_executable

Elt = Callable[..., Result]

# A plugin that shows what it was given: argv, its config file (content and mode), stdin.
ECHO = f"""#!{sys.executable}
import json, os, stat, sys
config = sys.argv[2]
print(json.dumps({{
    "argv": sys.argv[1:2] + sys.argv[3:],
    "config": json.load(open(config)),
    "config_file": config,
    "mode": oct(stat.S_IMODE(os.stat(config).st_mode)),
    "stdin": sys.stdin.read(),
}}))
sys.exit(3)
"""

PROJECT = """version: 1
plugins:
  taps:
    - name: tap-echo
      executable: ./tap-echo
      settings: [{name: password, kind: password}]
      config:
        host: db.example.org
        password: s3cret-pw
        auth: {user: me, client_secret: hidden-value}
"""


def echo_project(root: Path) -> Path:
    write_project(root, PROJECT)
    script = root / "tap-echo"
    script.write_text(ECHO)
    script.chmod(0o755)
    return root


def test_invoke_runs_the_plugin_with_its_config_stdin_args_and_exit_code(tmp_path: Path) -> None:
    root = echo_project(tmp_path / "p")
    done = subprocess.run(
        [elt_executable(), "--project", str(root), "invoke", "tap-echo", "--discover", "-x"],
        input="from stdin",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    seen = json.loads(done.stdout)
    assert seen["argv"] == ["--config", "--discover", "-x"]
    assert seen["config"]["password"] == "s3cret-pw"
    assert seen["mode"] == "0o600"
    assert seen["stdin"] == "from stdin"
    assert not Path(seen["config_file"]).exists()


def test_dump_config_prints_the_generated_config_with_secrets_redacted(
    elt: Elt, tmp_path: Path
) -> None:
    root = echo_project(tmp_path / "p")
    result = elt("--project", str(root), "invoke", "--dump", "config", "tap-echo")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "password": "********",
        "host": "db.example.org",
        "auth": {"user": "me", "client_secret": "********"},
    }
    assert "s3cret" not in result.stdout
    assert "hidden-value" not in result.stdout


def test_dump_config_unsafe_shows_secrets(elt: Elt, tmp_path: Path) -> None:
    root = echo_project(tmp_path / "p")
    result = elt("--project", str(root), "invoke", "--dump", "config", "--unsafe", "tap-echo")
    assert json.loads(result.stdout)["auth"]["client_secret"] == "hidden-value"


def test_invoke_no_install_refuses_a_plugin_that_is_not_installed(elt: Elt, tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p", "version: 1\nplugins:\n  taps:\n    - {name: tap-nowhere-xyz}\n"
    )
    result = elt("--project", str(root), "invoke", "--no-install", "tap-nowhere-xyz", "--about")
    assert result.exit_code == 70
    assert "Run `elt install tap-nowhere-xyz` first" in result.stderr
