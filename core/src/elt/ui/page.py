"""What every page shares: the app's settings, the project a request reads, rendering.

The project is opened anew for each request (about 15 ms): a page shows plugins.yml as it
is now, as each ``elt`` command does, and a plugins.yml being edited into an invalid state
shows its error on the page instead of stopping the server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates

from elt import Project
from elt.errors import EltError
from elt.ui import security, views
from elt.ui.security import Guard

__all__ = ["Ui", "action", "call", "describe", "error_page", "query", "render", "ui_of"]

Opener = Callable[[], Project]


@dataclass(frozen=True)
class Ui:
    """The app's settings: how to open the project, the guard, the templates."""

    open_project: Opener
    guard: Guard
    templates: Jinja2Templates

    @property
    def read_only(self) -> bool:
        return self.guard.read_only

    async def project(self) -> Project:
        """The project as plugins.yml says now (opened in a worker thread: it reads files)."""
        return await run_in_threadpool(self.open_project)


def ui_of(request: Request) -> Ui:
    ui: Ui = request.app.state.ui
    return ui


def templates(guard: Guard) -> Jinja2Templates:
    """The Jinja2 templates of the package, autoescaped, failing on an undefined name."""
    environment = Environment(
        loader=PackageLoader("elt.ui", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(views.FILTERS)

    def common(request: Request) -> dict[str, Any]:
        return {
            "csrf_token": guard.csrf,
            "read_only": guard.read_only,
            "login_enabled": guard.token is not None,
            "section": request.url.path.strip("/").partition("/")[0] or "runs",
        }

    return Jinja2Templates(env=environment, context_processors=[common])


def render(
    request: Request, name: str, context: Mapping[str, Any], *, status: int = 200
) -> HTMLResponse:
    """The template ``name`` with ``context`` (and what every page has)."""
    response = ui_of(request).templates.TemplateResponse(
        request, name, dict(context), status_code=status
    )
    response.headers["vary"] = "HX-Request, HX-Target"
    return response


def error_page(request: Request, status: int, message: str, *, hint: str | None = None) -> Response:
    """An error as a page (or as the fragment an htmx request swaps in)."""
    fragment = request.headers.get("hx-request") == "true"
    name = "_error.html" if fragment else "error.html"
    return render(
        request, name, {"status": status, "message": message, "hint": hint}, status=status
    )


def query(base: str, values: Mapping[str, object]) -> str:
    """``base?key=value...`` with the values that are set, for links that keep filters."""
    kept = {k: str(v) for k, v in values.items() if v not in (None, "")}
    return f"{base}?{urlencode(kept)}" if kept else base


async def call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)`` in a worker thread: the API reads files and databases."""
    return await run_in_threadpool(function, *args, **kwargs)


def describe(error: EltError) -> tuple[str, str | None]:
    """The message and hint of an error, as the page shows them."""
    where = f"{error.where}: " if error.where else ""
    return where + error.message, error.hint


def action(endpoint: security.Endpoint) -> Callable[[Request], Awaitable[Response]]:
    """An action's endpoint: a POST refused in read-only mode or without the CSRF token."""
    return security.action(lambda request: ui_of(request).guard)(endpoint)
