"""The State page on a real ``elt ui``: bookmarks shown; clear and set confirmed by typing
the state id, and refused while a run holds the id's lock, exactly as ``elt state``."""

from __future__ import annotations

import json
from collections.abc import Callable

from core.tests.plugins import TAP, TARGET
from core.tests.ui.conftest import UiProject, csrf
from elt.state import LocalStateStore
from tests.fixtures.uiserver import UiServer


def test_every_state_id_is_shown_with_its_bookmarks(
    project: UiProject, serve: Callable[..., UiServer]
) -> None:
    api = project.api()
    api.run(TAP, TARGET)
    api.state.set("custom:odd <id> & 'quotes'", {"bookmarks": {"users": {"id": 3}}})
    with serve().client() as client:
        page = client.get("/state")
    assert page.status_code == 200
    assert 'data-state-id="default:toy-tap-to-toy-target"' in page.text
    assert "&#34;items&#34;: {\n      &#34;id&#34;: 5" in page.text
    assert "custom:odd &lt;id&gt; &amp; &#39;quotes&#39;" in page.text  # escaped, not markup
    assert "<id>" not in page.text


def test_clearing_a_state_needs_the_id_typed_and_is_refused_while_its_lock_is_held(
    project: UiProject, serve: Callable[..., UiServer]
) -> None:
    api = project.api()
    api.run(TAP, TARGET)
    state_id = api.state_id(TAP, TARGET)
    before = api.state.get(state_id)
    assert before is not None
    with serve().client() as client:
        token = csrf(client)
        form = {"csrf_token": token, "state_id": state_id}
        unconfirmed = client.post("/state/clear", data={**form, "confirm": "yes"})
        assert unconfirmed.status_code == 400
        assert "type the state id to confirm" in unconfirmed.text
        with LocalStateStore.in_project(project.root).lock(state_id, holder="a test's run"):
            locked = client.post("/state/clear", data={**form, "confirm": state_id})
        assert locked.status_code == 409
        assert "a test&#39;s run" in locked.text  # the error names the holder
        assert api.state.get(state_id) == before
        fragment = client.post(
            "/state/clear", data={**form, "confirm": state_id}, headers={"HX-Request": "true"}
        )
    assert fragment.status_code == 200
    assert fragment.text.startswith('<article class="state"')  # the card htmx swaps in
    assert "cleared: its next run extracts everything" in fragment.text
    assert api.state.get(state_id) is None


def test_setting_a_state_stores_the_json_given_once_confirmed(
    project: UiProject, serve: Callable[..., UiServer]
) -> None:
    api = project.api()
    api.run(TAP, TARGET)
    state_id = api.state_id(TAP, TARGET)
    wanted = {"bookmarks": {"items": {"id": 2}}}
    with serve().client() as client:
        form = {"csrf_token": csrf(client), "state_id": state_id, "confirm": state_id}
        not_json = client.post("/state/set", data={**form, "value": "{bookmarks"})
        assert not_json.status_code == 400
        assert "not JSON" in not_json.text
        not_object = client.post("/state/set", data={**form, "value": "[1]"})
        assert not_object.status_code == 400
        assert "a JSON object" in not_object.text
        bad_shape = client.post("/state/set", data={**form, "value": '{"bookmarks": []}'})
        assert bad_shape.status_code == 409
        stored = client.post("/state/set", data={**form, "value": json.dumps(wanted)})
        assert stored.status_code == 303
        assert stored.headers["location"].startswith("/state#state-")
        page = client.get("/state")
    assert api.state.get(state_id) == wanted
    assert "&#34;id&#34;: 2" in page.text
    # the next run continues from the bookmark set here: items 3.. only
    assert api.run(TAP, TARGET, config={"toy-tap.count": 4}).rows["items"] == 2
