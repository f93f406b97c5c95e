"""elt's public Python surface: :class:`Project` and what its methods return.

The CLI (``elt.cli``), the web page and the orchestrator integrations (``elt.integrations``)
are thin faces over this package; ``from elt import Project`` is the same class.
See :mod:`elt.api.project` for the methods.
"""

from __future__ import annotations

from elt.api.executors import executor_for
from elt.api.progress import ProgressCallback, RunProgress
from elt.api.project import Project
from elt.api.results import JobResult, RunResult
from elt.api.state import States

__all__ = [
    "JobResult",
    "ProgressCallback",
    "Project",
    "RunProgress",
    "RunResult",
    "States",
    "executor_for",
]
