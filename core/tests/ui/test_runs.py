"""The Runs page, a run's page, its log and the chart series, on a real ``elt ui`` over a
history of real runs of the toy plugins (and one over a Postgres system database)."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from core.tests.plugins import TAP, TARGET
from core.tests.ui.conftest import UiProject, ui_project
from elt import RunRecord, RunStatus
from elt.history import Trigger
from tests.fixtures.uiserver import Scanned, UiServer


@dataclass
class History:
    """The module's project, its runs by role, and a server over it."""

    project: UiProject
    runs: dict[str, RunRecord]
    server: UiServer

    def client(self) -> Scanned:
        return self.server.client()


def make_runs(project: UiProject, tmp: Path) -> dict[str, RunRecord]:
    """A success, a failure, a run of a job under another state id, a run of a schedule, a
    retried run (two attempts), a run split into units and one with a secret override."""
    api = project.api()
    made = {}

    def keep(name: str, run_id: str) -> None:
        made[name] = api.get_run(run_id)

    keep("success", api.run(TAP, TARGET).run_id)
    failed = api.run(TAP, TARGET, config={"toy-tap.die_after": 2}, full_refresh=True, check=False)
    keep("failed", failed.run_id)
    keep("job", api.run(TAP, TARGET, state_id="custom:other", job="nightly").run_id)
    keep("schedule", api.run(TAP, TARGET, schedule="now", full_refresh=True).run_id)
    marker = str(tmp / "failed-once")
    once = {"toy-tap.fail_once_marker": marker}
    retried = api.run(TAP, TARGET, config=once, retries=1, retry_delay=0, full_refresh=True)
    keep("retry", retried.run_id)
    keep("first", made["retry"].origin.retry_of or "")
    keep("units", api.run(TAP, TARGET, executor="local:2", full_refresh=True).run_id)
    overridden = api.run(TAP, TARGET, config={"toy-tap.password": project.run_secret})
    keep("override", overridden.run_id)
    return made


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    tmp = tmp_path_factory.mktemp("ui-runs")
    project = ui_project(tmp / "project")
    runs = make_runs(project, tmp)
    server = UiServer(project.root, forbidden=project.secrets).start()
    yield History(project, runs, server)
    server.stop()


def run_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="run-([^"]+)" class="run', html)


def test_the_runs_page_lists_the_history_newest_first_and_failed_runs_stand_out(
    history: History,
) -> None:
    with history.client() as client:
        page = client.get("/runs")
    assert page.status_code == 200
    newest_first = sorted(history.runs.values(), key=lambda r: r.started_at, reverse=True)
    assert run_ids(page.text) == [r.run_id for r in newest_first]
    failed = history.runs["failed"]
    assert f'<tr id="run-{failed.run_id}" class="run status-failed"' in page.text
    assert f'<td colspan="8">{failed.summary}</td>' in page.text
    assert f"Runs 1–{len(history.runs)} of {len(history.runs)}" in page.text
    # a chart per pipeline, fed by /series
    assert page.text.count('<figure class="chart"') == 2
    assert 'data-series="/series?state_id=default%3Atoy-tap-to-toy-target"' in page.text
    assert "hx-trigger" not in page.text  # nothing runs: no refreshing


def test_the_runs_page_filters_by_status_pipeline_job_schedule_and_time(
    history: History,
) -> None:
    runs = history.runs
    with history.client() as client:

        def listed(**params: str) -> list[str]:
            page = client.get("/runs", params=params)
            assert page.status_code == 200, page.text
            return run_ids(page.text)

        failed_ids = {runs["failed"].run_id, runs["first"].run_id}
        assert set(listed(status="failed")) == failed_ids
        assert listed(state_id="custom:other") == [runs["job"].run_id]
        assert listed(job="nightly") == [runs["job"].run_id]
        assert listed(schedule="now") == [runs["schedule"].run_id]
        assert len(listed(last="1h")) == len(runs)
        later = runs["schedule"].started_at.strftime("%Y-%m-%dT%H:%M:%S.%f")
        after = listed(since=later)
        assert runs["schedule"].run_id in after
        assert runs["success"].run_id not in after
        assert listed(until=runs["failed"].started_at.isoformat()) == [runs["success"].run_id]
        future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        page = client.get("/runs", params={"since": future})
        assert "No runs" in page.text


def test_a_filter_that_means_nothing_is_a_400_saying_what_is_expected(history: History) -> None:
    with history.client() as client:
        status = client.get("/runs", params={"status": "exploded"})
        assert status.status_code == 400
        assert "use one of running, success, failed" in status.text
        assert client.get("/runs", params={"since": "yesterday"}).status_code == 400
        assert client.get("/runs", params={"last": "2w"}).status_code == 400
        assert client.get("/runs", params={"offset": "-1"}).status_code == 400
        assert client.get("/runs", params={"limit": "many"}).status_code == 400


def test_the_runs_page_pages_through_the_history(history: History) -> None:
    everything = sorted(history.runs.values(), key=lambda r: r.started_at, reverse=True)
    ids = [r.run_id for r in everything]
    with history.client() as client:
        first = client.get("/runs", params={"limit": "3"})
        assert run_ids(first.text) == ids[:3]
        assert f"Runs 1–3 of {len(ids)}" in first.text
        assert 'id="page-newer"' not in first.text
        older = re.search(r'id="page-older" href="([^"]+)"', first.text)
        assert older is not None
        second = client.get(older.group(1).replace("&amp;", "&"))
        assert run_ids(second.text) == ids[3:6]
        assert 'id="page-newer"' in second.text
        filtered = client.get("/runs", params={"limit": "3", "offset": "3", "status": "success"})
        successes = [r.run_id for r in everything if r.status is RunStatus.SUCCESS]
        assert run_ids(filtered.text) == successes[3:6]
        assert f"Runs 4–6 of {len(successes)}" in filtered.text


def test_the_series_of_a_pipeline_has_its_runs_oldest_first_failures_apart(
    history: History,
) -> None:
    with history.client() as client:
        answer = client.get("/series", params={"state_id": "default:toy-tap-to-toy-target"})
        assert client.get("/series").status_code == 400
    assert answer.status_code == 200
    series = answer.json()
    mine = [r for r in history.runs.values() if r.state_id == "default:toy-tap-to-toy-target"]
    assert series["run_ids"] == [r.run_id for r in sorted(mine, key=lambda r: r.started_at)]
    at = series["run_ids"].index(history.runs["failed"].run_id)
    assert series["status"][at] == "failed"
    assert series["duration"][at] is None
    assert series["failed"][at] == pytest.approx(history.runs["failed"].duration, abs=0.01)
    success = series["run_ids"].index(history.runs["success"].run_id)
    assert series["rows"][success] == history.runs["success"].total_rows
    assert series["failed"][success] is None


def test_a_run_page_shows_its_blocks_trigger_streams_error_and_log(history: History) -> None:
    failed, success = history.runs["failed"], history.runs["success"]
    with history.client() as client:
        bad = client.get(f"/runs/{failed.run_id}")
        good = client.get(f"/runs/{success.run_id}")
        log = client.get(f"/runs/{failed.run_id}/log")
    assert 'id="run-status" class="badge status-failed"' in bad.text
    assert '<section id="run-error"' in bad.text
    assert "dying on purpose" in bad.text  # the error paragraph and the log
    assert "toy-tap → toy-target" in bad.text
    assert '<dd id="run-trigger">cli</dd>' in bad.text
    assert "die_after" in bad.text  # the run's settings
    assert '<tr data-stream="items">' in good.text
    assert '<tr data-stream="others">' in good.text
    assert "data-live" not in good.text  # a finished run is not followed
    assert log.status_code == 200
    assert log.headers["content-type"].startswith("text/plain")
    assert log.text == history.project.api().logs(failed.run_id)


def test_a_retried_run_links_its_attempts(history: History) -> None:
    retry, first = history.runs["retry"], history.runs["first"]
    assert retry.origin.trigger is Trigger.RETRY
    with history.client() as client:
        page = client.get(f"/runs/{retry.run_id}")
        earlier = client.get(f"/runs/{first.run_id}")
    assert f'a retry of <a href="/runs/{first.run_id}">' in page.text
    attempts = page.text.split('<section id="run-attempts">')[1].split("</section>")[0]
    assert attempts.index(first.run_id) < attempts.index(retry.run_id)
    assert f'<a href="/runs/{retry.run_id}">' in earlier.text


def test_a_run_split_into_units_shows_each_unit_and_its_worker(history: History) -> None:
    record = history.runs["units"]
    assert record.units
    with history.client() as client:
        page = client.get(f"/runs/{record.run_id}")
    units = page.text.split('<section id="run-units">')[1].split("</section>")[0]
    assert str(record.units[0]["worker"]) in units
    assert "done" in units


def test_secret_values_appear_in_no_page_and_no_log(history: History) -> None:
    """The override's password is ******** on its run's page and in its log; the scanning
    client checks every answer of every test here for the three secrets."""
    record = history.runs["override"]
    assert record.overrides["toy-tap"]["password"] == "********"
    with history.client() as client:
        page = client.get(f"/runs/{record.run_id}")
        log = client.get(f"/runs/{record.run_id}/log")
        for path in ("/runs", "/pipelines", "/state", "/plugins"):
            assert client.get(path).status_code == 200
    assert "<td>password</td><td><code>********</code></td>" in page.text
    assert "connecting with password ********" in log.text


@pytest.mark.parametrize(
    "path",
    [
        "/runs/20990101T000000Z-000000",
        "/runs/20990101T000000Z-000000/log",
        "/runs/20990101T000000Z-000000/log/live",
        "/runs/20990101T000000Z-000000/progress/live",
        "/runs/..%2F..%2Fetc%2Fpasswd/log",
        "/runs/..%2F..%2Fetc%2Fpasswd",
        "/runs/%2E%2E/log",
        "/runs/.env/log",
        "/runs/%2Fetc%2Fpasswd/log",
        "/runs/..%5C..%5Cetc%5Cpasswd/log",
        "/runs/x/../../../etc/passwd/log",
    ],
)
def test_unknown_and_path_like_run_ids_are_404(history: History, path: str) -> None:
    status, body = raw_get(history.server.url, path)
    assert status == 404
    assert "root:" not in body


def raw_get(base: str, path: str) -> tuple[int, str]:
    """GET ``path`` exactly as written (httpx would resolve ``..`` away)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


def test_static_files_are_served_from_the_package_with_the_vendored_scripts(
    history: History,
) -> None:
    with history.client() as client:
        for path in (
            "/static/elt.js",
            "/static/elt.css",
            "/static/vendor/htmx.min.js",
            "/static/vendor/uPlot.iife.min.js",
            "/static/vendor/uPlot.min.css",
        ):
            answer = client.get(path)
            assert answer.status_code == 200, path
        page = client.get("/runs")
    assert "https://" not in page.text  # no CDN: the page works with no network
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"


def test_the_page_reads_a_postgres_history(pg_database: str, tmp_path: Path) -> None:
    project = ui_project(tmp_path / "project")
    document = json.loads((project.root / "plugins.yml").read_text())
    document["system_database"] = pg_database
    (project.root / "plugins.yml").write_text(json.dumps(document))
    api = project.api()
    ok = api.run(TAP, TARGET)
    bad = api.run(TAP, TARGET, config={"toy-tap.die_after": 1}, full_refresh=True, check=False)
    assert bad.status is RunStatus.FAILED
    server = UiServer(project.root, forbidden=project.secrets).start()
    try:
        with server.client() as client:
            page = client.get("/runs", params={"status": "failed"})
            series = client.get("/series", params={"state_id": ok.state_id}).json()
            run = client.get(f"/runs/{ok.run_id}")
            pipelines = client.get("/pipelines")
    finally:
        server.stop()
    assert run_ids(page.text) == [bad.run_id]
    assert series["run_ids"] == [ok.run_id, bad.run_id]
    assert run.status_code == 200
    assert "50.0 %" in pipelines.text  # one of two runs succeeded
