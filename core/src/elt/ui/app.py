"""The Starlette app of ``elt ui``: its routes, the guard in front of them, errors as pages.

:func:`create_app` takes how to open the project (each request opens it anew, see
:mod:`elt.ui.page`) and the security settings; :mod:`elt.ui.server` serves the app.

Errors: a page that is not there is a 404 page; a bad filter a 400 saying what is expected;
an :class:`~elt.errors.EltError` (plugins.yml became invalid, the history cannot be
opened) a 500 page with its message and hint, which never hold a secret; anything else a
500 that says only to look at the server's log, where the traceback goes.
"""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from elt.errors import EltError
from elt.ui import live, pipelines, plugins, runs, states
from elt.ui.page import Opener, Ui, action, describe, error_page, render, templates, ui_of
from elt.ui.security import COOKIE, Guard, GuardMiddleware, login_form_posted, safe_next

__all__ = ["STATIC", "create_app"]

STATIC = Path(__file__).parent / "static"
_log = logging.getLogger("elt.ui")


async def login(request: Request) -> Response:
    """The login form (GET) and its answer (POST): the cookie, or the form again (401)."""
    guard = ui_of(request).guard
    target = safe_next(request.query_params.get("next"))
    if guard.token is None:
        return RedirectResponse(target, 303)
    if request.method == "POST":
        answer = await login_form_posted(request, guard)
        if answer is not None:
            return answer
        return render(request, "login.html", {"next": target, "wrong": True}, status=401)
    return render(request, "login.html", {"next": target, "wrong": False})


@action
async def logout(request: Request, form: FormData) -> Response:
    """Forget the login cookie."""
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE, path="/")
    return response


async def _refusal(scope: Scope, status: int) -> Response:
    request = Request(scope)
    response: Response
    if status == 401:
        wants_page = request.method == "GET" and "text/html" in request.headers.get("accept", "")
        if wants_page:
            target = safe_next(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            response = render(request, "login.html", {"next": target, "wrong": False}, status=401)
        else:
            response = PlainTextResponse("log in first: this elt ui asks for its token", 401)
        response.headers["www-authenticate"] = 'Bearer realm="elt ui"'
        return response
    return PlainTextResponse("this server answers to 127.0.0.1 and localhost only", status)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code in (301, 302, 303, 304, 307, 308):
        return Response(status_code=error.status_code, headers=error.headers)
    return error_page(request, error.status_code, error.detail)


async def _elt_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, EltError)
    message, hint = describe(error)
    return error_page(request, 500, message, hint=hint)


async def _unexpected(request: Request, error: Exception) -> Response:
    _log.error("%s %s failed", request.method, request.url.path, exc_info=error)
    return PlainTextResponse(
        "elt ui failed unexpectedly; the server's log (stderr) has the details", 500
    )


def create_app(
    open_project: Opener, *, token: str | None = None, read_only: bool = False, loopback: bool
) -> Starlette:
    """The web app over the project ``open_project()`` opens. ``token``: what every request
    must carry (None: nothing, for a loopback bind only, see :func:`~elt.ui.check_bind`);
    ``loopback``: answer only requests addressed to a loopback name."""
    guard = Guard(token, loopback, read_only)
    ui = Ui(open_project, guard, templates(guard))
    app = Starlette(
        routes=[
            Route("/login", login, methods=["GET", "POST"]),
            Route("/logout", logout, methods=["POST"]),
            *runs.ROUTES,
            *live.ROUTES,
            *pipelines.ROUTES,
            *states.ROUTES,
            *plugins.ROUTES,
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[Middleware(GuardMiddleware, guard=guard, refusal=_refusal)],
        exception_handlers={
            HTTPException: _http_error,
            EltError: _elt_error,
            Exception: _unexpected,
        },
    )
    app.state.ui = ui
    app.state.launches = pipelines.Launches()
    return app
