"""``elt ui`` is one more command: registered lazily, and the web stack is imported only
when it runs."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_loads_no_web_library_unless_elt_ui_runs() -> None:
    code = (
        "import sys\n"
        "from elt.cli import cli\n"
        "for args in (['--help'], ['ui', '--help'], ['runs', '--help']):\n"
        "    try:\n"
        "        cli(args, prog_name='elt')\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('starlette', 'uvicorn', 'jinja2', 'multipart', 'elt.ui')\n"
        "print(sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') for h in heavy)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert "Serve a web page" in done.stdout
