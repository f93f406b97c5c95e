"""The README's first-project commands, run exactly as written, against a real Postgres.

The block after ``<!-- newcomer-flow`` in README.md goes to bash line for line, in an empty
directory with elt's ``bin`` first on PATH: ``elt init demo``, ``elt add``, ``elt config
set``, ``elt install`` (real venvs, our plugins from this checkout), ``elt run``. Only the
database URL differs: ``TARGET_POSTGRES_SQLALCHEMY_URL`` points at the test's database, and
an environment variable wins over plugins.yml, as the README says.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]


def readme_block() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- newcomer-flow[^>]*-->\n```bash\n(.*?)```", text, re.DOTALL)
    assert match, "README.md has no newcomer-flow block"
    return match.group(1)


def test_the_readme_first_project_flow_loads_the_csv_into_postgres(
    tmp_path: Path, pg_database: str
) -> None:
    script = readme_block()
    assert "elt install && elt run tap-csv target-postgres" in script
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "TARGET_POSTGRES_SQLALCHEMY_URL": pg_database,
    }
    env.pop("ELT_PROJECT_ROOT", None)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert (tmp_path / "demo" / ".elt" / "plugins" / "tap" / "tap-csv" / "venv").is_dir()
    assert (tmp_path / "demo" / ".elt" / "plugins" / "target" / "target-postgres" / "venv").is_dir()
    with psycopg.connect(pg_database) as conn:
        rows = conn.execute("select id, name from public.people order by id").fetchall()
    assert rows == [(1, "Ada"), (2, "Grace")]
