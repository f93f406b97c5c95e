"""The Plugins page: each plugin's settings with their values and where each comes from.

``Project.settings`` shows a secret as ``********``; the page also shows ``********`` for
any setting marked secret, whatever value it is handed, so that no secret is sent to a
browser even if a redaction upstream missed one. A plugin whose settings cannot be resolved
(a variable plugins.yml names is unset) shows that error instead of its table.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from elt import Project
from elt.errors import EltError
from elt.ui.page import call, describe, render, ui_of

__all__ = ["REDACTED", "ROUTES"]

REDACTED = "********"


def _view(project: Project) -> list[dict[str, Any]]:
    shown = []
    for plugin in project.plugins:
        try:
            settings = [
                {
                    "name": s.name,
                    "value": REDACTED if s.secret else s.value,
                    "source": s.source,
                    "secret": s.secret,
                }
                for s in project.settings(plugin.name)
            ]
            problem = None
        except EltError as error:
            settings, problem = [], describe(error)[0]
        shown.append(
            {
                "name": plugin.name,
                "kind": plugin.kind.value,
                "settings": settings,
                "problem": problem,
            }
        )
    return shown


async def plugins_page(request: Request) -> Response:
    """Every plugin of plugins.yml and its settings, secrets as ********."""
    project = await ui_of(request).project()
    plugins = await call(_view, project)
    return render(request, "plugins.html", {"plugins": plugins})


ROUTES = [Route("/plugins", plugins_page)]
