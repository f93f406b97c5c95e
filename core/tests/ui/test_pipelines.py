"""The Pipelines page and Run now, on a real ``elt ui``: a schedule started from the page
runs as a child ``elt schedule run`` and the history shows its run with trigger ui."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from core.tests.plugins import TAP, TARGET, wait_for
from core.tests.ui.conftest import UiProject, csrf
from elt import RunStatus
from elt.history import Trigger
from tests.fixtures.uiserver import UiServer


def test_schedules_show_their_next_firing_in_their_zone_and_their_last_run(
    project: UiProject, serve: Callable[..., UiServer]
) -> None:
    api = project.api()
    ran = api.run(TAP, TARGET, schedule="now")
    with serve().client() as client:
        page = client.get("/pipelines")
    assert page.status_code == 200
    row = page.text.split('<tr id="schedule-now"')[1].split("</tr>")[0]
    upcoming = api.next_firing("now")
    assert f"{upcoming:%Y-%m-%d %H:%M} JST (Asia/Tokyo)" in row
    assert f'<a href="/runs/{ran.run_id}">' in row
    assert "status-success" in row
    night = page.text.split('<tr id="schedule-night"')[1].split("</tr>")[0]
    assert "job nightly" in night
    assert "never" in night
    assert 'id="run-now-now"' in row
    # the pipeline the run belongs to, with its success rate
    assert f'<tr data-state-id="{ran.state_id}"' in page.text
    assert "100.0 %" in page.text


def test_a_job_shows_its_task_graph(project: UiProject, serve: Callable[..., UiServer]) -> None:
    with serve().client() as client:
        page = client.get("/pipelines")
    nightly = page.text.split('<article class="job" id="job-nightly">')[1].split("</article>")[0]
    assert "waits for #1" in nightly  # the second task waits for the first
    assert nightly.count('<g class="task">') == 2
    assert nightly.count('class="edge"') == 1
    fan = page.text.split('<article class="job" id="job-fan">')[1].split("</article>")[0]
    assert "waits for nothing" in fan  # depends_on: [] runs beside the first
    assert fan.count('class="edge"') == 0


def test_run_now_starts_the_schedule_and_the_history_shows_its_run(
    project: UiProject, serve: Callable[..., UiServer]
) -> None:
    server = serve()
    api = project.api()
    with server.client() as client:
        token = csrf(client)
        started = client.post("/schedules/now/run", data={"csrf_token": token})
        assert started.status_code == 303
        target = urlsplit(started.headers["location"])
        assert target.path == "/runs"
        assert parse_qs(target.query)["schedule"] == ["now"]

        def finished() -> bool:
            runs = api.runs(schedule="now")
            return bool(runs) and runs[0].status is not RunStatus.RUNNING

        waiting = client.get(started.headers["location"])
        assert 'hx-trigger="every 2s"' in waiting.text  # it refreshes until the run shows
        refresh = re.search(r'<section id="runs-table" hx-get="([^"]+)"', waiting.text)
        assert refresh is not None
        htmx = {"HX-Request": "true", "HX-Target": "runs-table"}
        fragment = client.get(refresh.group(1).replace("&amp;", "&"), headers=htmx)
        assert fragment.text.startswith('<section id="runs-table"')  # the table alone
        wait_for(finished, timeout=60)
        [run] = api.runs(schedule="now")
        assert (run.status, run.origin.trigger) == (RunStatus.SUCCESS, Trigger.UI)
        listed = client.get(started.headers["location"])
        assert f'<tr id="run-{run.run_id}" class="run status-success"' in listed.text
        assert "<td>ui · now</td>" in listed.text
        assert "hx-trigger" not in listed.text  # it showed up and ended: no more refreshing
        wait_for(lambda: "done" in client.get("/pipelines").text.split('id="launches"')[1])
        assert client.post("/schedules/nope/run", data={"csrf_token": token}).status_code == 404


def test_an_action_without_the_csrf_token_is_refused_and_does_nothing(
    project: UiProject, serve: Callable[..., UiServer]
) -> None:
    with serve().client() as client:
        assert client.post("/schedules/now/run").status_code == 403
        wrong = client.post("/schedules/now/run", data={"csrf_token": "guessed"})
        assert wrong.status_code == 403
        assert "CSRF" in wrong.text
        header = client.post("/schedules/now/run", headers={"X-CSRF-Token": "guessed"})
        assert header.status_code == 403
        assert client.get("/schedules/now/run").status_code == 405  # actions are POSTs only
        right = client.post("/schedules/now/run", headers={"X-CSRF-Token": csrf(client)})
        assert right.status_code == 303  # htmx's header works as the form field does
    wait_for(lambda: project.api().runs(schedule="now"), timeout=60)
    assert len(project.api().runs(schedule="now")) == 1


def test_read_only_shows_no_action_and_refuses_every_one(
    project: UiProject, serve: Callable[..., UiServer]
) -> None:
    api = project.api()
    api.run(TAP, TARGET)
    state_id = api.state_id(TAP, TARGET)
    with serve("--read-only").client() as client:
        pipelines = client.get("/pipelines")
        states = client.get("/state")
        token = csrf(client, "/runs")
        assert 'id="read-only"' in pipelines.text
        assert "Run now" not in pipelines.text
        assert "<form" not in states.text.split('<section id="states">')[1]
        refused = [
            client.post("/schedules/now/run", data={"csrf_token": token}),
            client.post(
                "/state/clear",
                data={"csrf_token": token, "state_id": state_id, "confirm": state_id},
            ),
            client.post(
                "/state/set",
                data={
                    "csrf_token": token,
                    "state_id": state_id,
                    "confirm": state_id,
                    "value": "{}",
                },
            ),
        ]
    assert [answer.status_code for answer in refused] == [403, 403, 403]
    assert api.state.get(state_id) is not None
    assert len(api.runs()) == 1
