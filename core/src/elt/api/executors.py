"""The executor object for a run's ``executor`` address: where the API picks one.

``elt.run`` receives its executor and never imports one but its own thread pool; the API,
above both, makes it: None for ``local`` (one pipe here), a
:class:`~elt.run.units.ThreadExecutor` for ``local:N``, a Dask client for a scheduler's
address (distributed is imported only then: it is the ``dask`` extra).
"""

from __future__ import annotations

from elt.project import Project
from elt.run import LOCAL
from elt.run.units import Executor, ThreadExecutor

__all__ = ["executor_for"]


def executor_for(project: Project, address: str) -> Executor | None:
    """The executor object for ``address``; None for :data:`~elt.run.LOCAL` (one pipe)."""
    if address == LOCAL:
        return None
    if address.startswith("local:"):
        return ThreadExecutor(project, int(address.removeprefix("local:")))
    from elt.executor.dask import DaskExecutor  # distributed: only when asked for

    return DaskExecutor(address)
