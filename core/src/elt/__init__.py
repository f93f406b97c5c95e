"""elt: a fast, Singer-standard ELT connector framework.

From Python, open a project and run it; every name below is imported on first use, so
``import elt`` (and every plugin start) stays cheap:

>>> from elt import Project
>>> project = Project.open("path/to/project", environment="prod")    # doctest: +SKIP
>>> result = project.run("tap-csv", "target-postgres", retries=2)     # doctest: +SKIP
>>> result.status, result.rows                                         # doctest: +SKIP
(<RunStatus.SUCCESS: 'success'>, {'orders': 1200})

Failures raise the :class:`EltError` tree; each class carries its exit code.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from elt.api import JobResult, Project, RunProgress, RunResult
    from elt.errors import (
        AccessError,
        ConfigError,
        EltError,
        Interrupted,
        PluginError,
        ProjectError,
        ProtocolError,
        ServiceError,
        UsageError,
    )
    from elt.history import RunRecord, RunStatus
    from elt.run.metrics import StreamProgress

__all__ = [
    "DISTRIBUTION",
    "AccessError",
    "ConfigError",
    "EltError",
    "Interrupted",
    "JobResult",
    "PluginError",
    "Project",
    "ProjectError",
    "ProtocolError",
    "RunProgress",
    "RunRecord",
    "RunResult",
    "RunStatus",
    "ServiceError",
    "StreamProgress",
    "UsageError",
    "__version__",
]

#: The name elt is installed by (``pip install elt-core``): ``elt`` on the package index is
#: another project. The import package and the command are ``elt``.
DISTRIBUTION = "elt-core"

# a library logs, the application decides what is shown: without a handler of the caller's,
# nothing elt logs reaches the console (the CLI installs its own)
logging.getLogger("elt").addHandler(logging.NullHandler())

_LAZY = {
    "Project": "elt.api",
    "RunResult": "elt.api",
    "JobResult": "elt.api",
    "RunProgress": "elt.api",
    "RunRecord": "elt.history",
    "RunStatus": "elt.history",
    "StreamProgress": "elt.run.metrics",
    **dict.fromkeys(
        (
            "AccessError",
            "ConfigError",
            "EltError",
            "Interrupted",
            "PluginError",
            "ProjectError",
            "ProtocolError",
            "ServiceError",
            "UsageError",
        ),
        "elt.errors",
    ),
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _version()
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'elt' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def _version() -> str:
    # looked up on first use: importlib.metadata costs ~50 ms, paid by every elt command
    # and plugin start otherwise
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"
