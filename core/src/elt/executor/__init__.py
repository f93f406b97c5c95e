"""Executors other than the local one: where the units of a run (:mod:`elt.run.units`) run.

An executor takes the units of a run and returns each one's result as it finishes; the
coordinator in :mod:`elt.run` splits the run and merges the states, whatever runs the units.
:mod:`elt.executor.dask` runs them on a Dask cluster (``elt-core[dask]``); it is imported
only when asked for, so ``elt`` starts without ``distributed``.
"""

from __future__ import annotations
