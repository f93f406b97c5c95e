"""A running run on the page: its log and its stream table as server-sent events, while a
real ``elt run`` in another process goes on."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from core.tests.plugins import wait_for
from core.tests.ui.conftest import UiProject
from elt import RunStatus
from tests.fixtures.uiserver import UiServer, assert_clean


@dataclass(frozen=True)
class Event:
    name: str
    data: object
    running: bool  # whether the run's process was still going when the event arrived


def events(server: UiServer, path: str, running: Callable[[], bool]) -> list[Event]:
    """Every event of the stream at ``path``, until the server closes it."""
    got = []
    with (
        httpx.Client(base_url=server.url, timeout=60) as client,
        client.stream("GET", path) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        name, data = "", ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = line.removeprefix("data: ")
            elif not line and name:
                got.append(Event(name, json.loads(data), running()))
                name, data = "", ""
    return got


def test_a_running_run_is_followed_live_log_and_progress_until_it_ends(
    project: UiProject, serve: Callable[..., UiServer]
) -> None:
    server = serve()
    api = project.api()
    process = project.toy.start_run(
        "--config", "toy-tap.pace=0.15", "--config", "toy-tap.count=20",
        "--progress-interval", "0.3",
    )  # fmt: skip
    wait_for(lambda: api.runs(limit=1), timeout=30)
    run_id = api.runs(limit=1)[0].run_id

    with server.client() as client:
        page = client.get(f"/runs/{run_id}")
        listed = client.get("/runs")
    assert 'data-status="running"' in page.text
    assert f'data-live="/runs/{run_id}/log/live"' in page.text
    assert f'data-live="/runs/{run_id}/progress/live"' in page.text
    assert 'hx-trigger="every 2s"' in listed.text  # the list refreshes while a run goes on

    def going() -> bool:
        return process.poll() is None

    progress: list[Event] = []
    watcher = threading.Thread(
        target=lambda: progress.extend(events(server, f"/runs/{run_id}/progress/live", going))
    )
    watcher.start()
    log = events(server, f"/runs/{run_id}/log/live", going)
    watcher.join(timeout=60)
    process.communicate(timeout=60)
    assert process.returncode == 0

    chunks = [e for e in log if e.name == "log"]
    assert len(chunks) > 1
    assert chunks[0].running
    assert (log[-1].name, log[-1].data) == ("end", "success")
    assert "".join(str(e.data) for e in chunks) == api.logs(run_id)

    tables = [e for e in progress if e.name == "progress"]
    during = [e for e in tables if e.running and '<tr data-stream="items">' in str(e.data)]
    assert during, "no stream table while the run went on"
    assert "<td>running</td>" in str(during[0].data)
    assert progress[-1].name == "end"
    assert progress[-1].data == "success"
    final = str(tables[-1].data)
    assert '<td class="number">20</td>' in final
    assert "<td>running</td>" not in final
    assert api.get_run(run_id).status is RunStatus.SUCCESS
    assert_clean(json.dumps([e.data for e in log + progress]), server.forbidden)


def test_the_live_streams_of_a_finished_run_end_at_once(
    project: UiProject, serve: Callable[..., UiServer]
) -> None:
    result = project.api().run("toy-tap", "toy-target")
    server = serve()
    started = time.monotonic()
    log = events(server, f"/runs/{result.run_id}/log/live", lambda: False)
    progress = events(server, f"/runs/{result.run_id}/progress/live", lambda: False)
    assert time.monotonic() - started < 10
    assert [e.name for e in log][-1] == "end"
    assert "".join(str(e.data) for e in log if e.name == "log") == project.api().logs(result.run_id)
    assert [e.name for e in progress] == ["progress", "end"]
