"""The State page: every state id with its bookmarks; clear or set one, confirmed.

A change goes through ``Project.state`` as ``elt state`` does: it takes the state id's
lock, so while a run holds it the change is refused and the page shows that error (409),
naming the holder. There is no force here: that is ``elt state clear --force``'s, at a
terminal. A change must be confirmed by typing the state id again (checked on the server,
not only in the browser).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from elt import Project
from elt.api import States
from elt.errors import EltError
from elt.ui.page import action, call, describe, render, ui_of

__all__ = ["ROUTES", "anchor"]

HOLDER = "`elt ui`"


def anchor(state_id: str) -> str:
    """A stable element id for a state id, whatever characters it holds."""
    return "state-" + hashlib.sha256(state_id.encode()).hexdigest()[:12]


def _states(project: Project) -> States:
    return States(project.loaded, holder=HOLDER)


def _entries(project: Project) -> list[dict[str, Any]]:
    states = _states(project)
    return [
        {"state_id": state_id, "value": states.get(state_id), "anchor": anchor(state_id)}
        for state_id in states.list()
    ]


async def states_page(request: Request) -> Response:
    """Every state id with a stored bookmark, and its state."""
    project = await ui_of(request).project()
    entries = await call(_entries, project)
    return render(request, "states.html", {"entries": entries})


def _answer(
    request: Request,
    state_id: str,
    value: object,
    *,
    message: str,
    hint: str | None = None,
    status: int = 200,
) -> Response:
    """The state's card with what happened (htmx swaps it in); without htmx, back to the
    page after a success, or the card alone with the error."""
    fragment = request.headers.get("hx-request") == "true"
    if status == 200 and not fragment:
        return RedirectResponse(f"/state#{anchor(state_id)}", 303)
    entry = {"state_id": state_id, "value": value, "anchor": anchor(state_id)}
    context = {"entry": entry, "message": message, "hint": hint, "ok": status == 200}
    return render(request, "_state.html", context, status=status)


def _confirmed(form: FormData) -> tuple[str, bool]:
    state_id = str(form.get("state_id", ""))
    return state_id, bool(state_id) and form.get("confirm") == state_id


@action
async def clear_state(request: Request, form: FormData) -> Response:
    """Forget a state id's bookmarks, once its id is typed again; refused while locked."""
    state_id, confirmed = _confirmed(form)
    project = await ui_of(request).project()
    states = _states(project)
    current = await call(states.get, state_id) if state_id else None
    if not confirmed:
        return _answer(
            request,
            state_id,
            current,
            message="not cleared: type the state id to confirm",
            status=400,
        )
    try:
        cleared = await call(states.clear, state_id)
    except EltError as error:
        message, hint = describe(error)
        return _answer(request, state_id, current, message=message, hint=hint, status=409)
    done = "cleared: its next run extracts everything" if cleared else "had no state"
    return _answer(request, state_id, None, message=done)


@action
async def set_state(request: Request, form: FormData) -> Response:
    """Replace a state id's state with the JSON given, once its id is typed again; refused
    while locked."""
    state_id, confirmed = _confirmed(form)
    project = await ui_of(request).project()
    states = _states(project)
    current = await call(states.get, state_id) if state_id else None
    if not confirmed:
        return _answer(
            request, state_id, current, message="not set: type the state id to confirm", status=400
        )
    try:
        value = json.loads(str(form.get("value", "")))
    except json.JSONDecodeError as error:
        message = f"not set: the state is not JSON ({error.msg} at line {error.lineno})"
        return _answer(request, state_id, current, message=message, status=400)
    if not isinstance(value, dict):
        message = 'not set: a state is a JSON object, e.g. {"bookmarks": {"users": {"id": 3}}}'
        return _answer(request, state_id, current, message=message, status=400)
    try:
        await call(states.set, state_id, value)
    except EltError as error:
        message, hint = describe(error)
        return _answer(request, state_id, current, message=message, hint=hint, status=409)
    return _answer(request, state_id, await call(states.get, state_id), message="stored")


ROUTES = [
    Route("/state", states_page),
    Route("/state/clear", clear_state, methods=["POST"]),
    Route("/state/set", set_state, methods=["POST"]),
]
