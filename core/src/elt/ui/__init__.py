"""``elt ui``: a web page to watch, understand and act on a project's pipelines.

A thin face over :class:`elt.Project`, like the CLI: every number and every action on the
page is a call of the public API (the run history, a run's log and progress, schedules,
state, settings), so there is no second source of truth. The package is the ``ui`` extra as
a whole (Starlette, uvicorn, Jinja2, python-multipart): only ``elt ui`` imports it.

- :mod:`elt.ui.app` builds the Starlette app; :mod:`elt.ui.server` runs it under uvicorn.
- :mod:`elt.ui.security`: the token (header or login cookie), the Host check of a loopback
  bind, CSRF on every action, read-only mode, the response headers.
- one module per page: :mod:`~elt.ui.runs`, :mod:`~elt.ui.pipelines` (schedules, jobs,
  Run now), :mod:`~elt.ui.states`, :mod:`~elt.ui.plugins`; :mod:`~elt.ui.live` streams a
  running run's log and progress as server-sent events.
- ``templates/`` (Jinja2) and ``static/``: our CSS and script, and htmx and uPlot copied
  from the npm registry at build time (``make ui-assets``): the page needs no network.
"""

from __future__ import annotations

from elt.ui.app import create_app
from elt.ui.security import check_bind
from elt.ui.server import serve

__all__ = ["check_bind", "create_app", "serve"]
