"""The import rule of DESIGN.md, checked on the source: layers point one way only."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORE = REPO / "core" / "src" / "elt"
HEAVY_CLIENTS = (
    "psycopg",
    "boto3",
    "botocore",
    "google",
    "azure",
    "pyarrow",
    "distributed",
    "airflow",
    "dagster",
    "prefect",
    "starlette",
    "uvicorn",
    "jinja2",
    "multipart",
)
# Heavy clients core may use, each in one place and each an extra of `elt`, never a
# dependency: imported lazily (inside the function that needs it, see
# test_heavy_clients_in_core_are_imported_only_inside_functions) so that `elt` itself, and
# every project or plugin that does not use them, never loads them and need not install them.
# - the shared lake writer formats Parquet (and zstd) with pyarrow for the four lake targets
#   (extra `lake`);
# - each remote state backend talks to its service with the official client (extras `s3`,
#   `gcs`, `azure`, `postgres`), loaded only when a project's state_backend names it;
# - tap-postgres and target-postgres share their session code (elt.sdk.postgres); psycopg
#   is their dependency, loaded when they connect;
# - the Dask executor is distributed's client and worker plugin (extra `dask`): the whole
#   module is the extra, so it imports distributed at its top and everything else imports
#   it lazily (EXTRA_MODULES);
# - each orchestrator's integration (extras `airflow`, `dagster`, `prefect`) is its module
#   of elt.integrations as a whole, like the Dask executor;
# - the web page (extra `ui`) is elt.ui as a whole: its server, templates and form parser.
HEAVY_ALLOWED = {
    "pyarrow": ("elt.sdk.lake",),
    "boto3": ("elt.state.s3",),
    "botocore": ("elt.state.s3",),
    "google": ("elt.state.gcs",),
    "azure": ("elt.state.azure",),
    # the state backend, the run history's Postgres backend, and the session code tap- and
    # target-postgres share
    "psycopg": ("elt.state.postgres", "elt.history.postgres", "elt.sdk.postgres"),
    "distributed": ("elt.executor.dask",),
    "airflow": ("elt.integrations.airflow",),
    "dagster": ("elt.integrations.dagster",),
    "prefect": ("elt.integrations.prefect",),
    "starlette": ("elt.ui",),
    "uvicorn": ("elt.ui",),
    "jinja2": ("elt.ui",),
    "multipart": ("elt.ui",),
}
# modules that are an extra as a whole: imported only inside functions, like a heavy client
EXTRA_MODULES = (
    "elt.executor.dask",
    "elt.integrations.airflow",
    "elt.integrations.dagster",
    "elt.integrations.prefect",
    "elt.ui",
)

# layer -> the elt modules it may import (besides itself)
ALLOWED = {
    "elt.errors": (),
    # what S3, GCS and Azure failures mean: a leaf beside errors, shared by the lake stores
    # (elt.sdk and the lake targets) and the remote state backends (elt.state), so the two
    # towers explain the same service the same way; it imports no client
    "elt.cloudfailures": ("elt.errors",),
    "elt.files": (),
    "elt.protocol": ("elt.errors",),
    "elt.sdk": ("elt.cloudfailures", "elt.errors", "elt.protocol"),
    # plugins.yml: its model, loading, validation and edits. Below everything that runs
    # (install, state, run), it reads no plugin and no store: the protocol only for the
    # vocabulary a project shares with plugins (secret setting names, REDACTED, selection
    # rules, the state merge of `state` overrides), files for its atomic writes
    "elt.project": ("elt.errors", "elt.files", "elt.protocol"),
    "elt.state": ("elt.cloudfailures", "elt.errors", "elt.files"),
    "elt.install": ("elt.errors", "elt.files", "elt.project"),
    # the run history: a store of rows; elt.state only for its URL redaction
    "elt.history": ("elt.errors", "elt.state"),
    # no elt.sdk: a run talks to plugins only through processes, pipes and the Singer protocol
    "elt.run": (
        "elt.errors",
        "elt.files",
        "elt.history",
        "elt.install",
        "elt.protocol",
        "elt.project",
        "elt.state",
    ),
    # executors other than the local one: above run, whose units they ship to workers
    "elt.executor": (
        "elt.errors",
        "elt.files",
        "elt.install",
        "elt.project",
        "elt.protocol",
        "elt.run",
    ),
    # the public Python surface: over everything that runs; an executor other than the local
    # one only when a run asks for it (imported inside a function)
    "elt.api": (
        "elt.errors",
        "elt.executor",
        "elt.files",
        "elt.history",
        "elt.install",
        "elt.project",
        "elt.protocol",
        "elt.run",
        "elt.schedule",
        "elt.state",
    ),
    # Airflow, Dagster and Prefect's faces: only the public surface, as a user's code would
    "elt.integrations": ("elt.api", "elt.errors"),
    # the web page: the public surface too, and the history's record types it shows
    "elt.ui": ("elt.api", "elt.errors", "elt.history"),
    # the scheduler: fires runs as child processes; reads the history and the project;
    # writes other schedulers' files (Airflow DAGs) atomically
    "elt.schedule": (
        "elt.errors",
        "elt.files",
        "elt.history",
        "elt.project",
        "elt.run",
        "elt.state",
    ),
}


def modules(root: Path) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(root.rglob("*.py")):
        if ".venv" not in path.parts:
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imports(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def module_name(path: Path) -> str:
    parts = path.relative_to(CORE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_lower_layers_import_only_what_they_may(layer: str) -> None:
    offending = []
    for path, tree in modules(CORE):
        if not within(module_name(path), layer):
            continue
        for imported in imports(tree):
            name = "elt.api" if imported == "elt" else imported  # elt's names are the api's
            foreign = within(name, "elt") and not within(name, layer)
            if foreign and not any(within(name, ok) for ok in ALLOWED[layer]):
                offending.append(f"{path.relative_to(REPO)} imports {name}")
    assert offending == []


# the one way into a face from outside it: `elt ui` is a command of the CLI
FACE_ENTRIES = {"elt.ui": ("elt.cli.ui",)}


@pytest.mark.parametrize("face", ["elt.cli", "elt.integrations", "elt.ui"])
def test_nothing_imports_a_face(face: str) -> None:
    offending = [
        f"{path.relative_to(REPO)} imports {name}"
        for path, tree in modules(CORE)
        if not within(module_name(path), face)
        and module_name(path) not in FACE_ENTRIES.get(face, ())
        for name in imports(tree)
        if within(name, face)
    ]
    assert offending == []


def test_core_does_not_import_heavy_clients() -> None:
    offending = [
        f"{path.relative_to(REPO)} imports {name}"
        for path, tree in modules(CORE)
        for name in imports(tree)
        for heavy in HEAVY_CLIENTS
        if within(name, heavy)
        and not any(within(module_name(path), ok) for ok in HEAVY_ALLOWED.get(heavy, ()))
    ]
    assert offending == []


def test_heavy_clients_in_core_are_imported_only_inside_functions() -> None:
    eager = [
        f"{path.relative_to(REPO)}:{node.lineno} imports {name}"
        for path, tree in modules(CORE)
        if not any(within(module_name(path), extra) for extra in EXTRA_MODULES)
        for node in eager_imports(tree)
        for name in imports(ast.Module(body=[node], type_ignores=[]))
        if any(within(name, heavy) for heavy in (*HEAVY_CLIENTS, *EXTRA_MODULES))
    ]
    assert eager == []


def eager_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported: those outside every function body
    (class bodies and module level), except under ``if TYPE_CHECKING:``, which never runs."""
    lazy = {
        id(node)
        for scope in ast.walk(tree)
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef)
        or (isinstance(scope, ast.If) and ast.unparse(scope.test).endswith("TYPE_CHECKING"))
        for statement in scope.body
        for node in ast.walk(statement)
    }
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in lazy
    ]


def test_core_outside_the_cli_never_prints() -> None:
    offending = [
        f"{path.relative_to(REPO)}:{node.lineno}"
        for path, tree in modules(CORE)
        if not within(module_name(path), "elt.cli")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "print"
    ]
    assert offending == []


def test_plugins_import_only_sdk_protocol_and_errors() -> None:
    # and elt.cloudfailures, the leaf beside errors that explains cloud store failures
    allowed = ("elt.sdk", "elt.protocol", "elt.errors", "elt.cloudfailures")
    offending = []
    for kind in ("taps", "targets"):
        for plugin in sorted((REPO / kind).glob("*/src/*")):
            siblings = {p.name for p in (REPO / "taps").glob("*/src/*")} | {
                p.name for p in (REPO / "targets").glob("*/src/*")
            }
            for path, tree in modules(plugin):
                for name in imports(tree):
                    top = name.split(".")[0]
                    bad_elt = within(name, "elt") and not any(within(name, ok) for ok in allowed)
                    if bad_elt or (top in siblings and top != plugin.name):
                        offending.append(f"{path.relative_to(REPO)} imports {name}")
    assert offending == []
