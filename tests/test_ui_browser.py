"""``elt ui`` in a real browser: Debian's headless Chromium, driven through its chromedriver
by selenium (nothing downloaded at test time; ``make test-deps`` installs both).

Real runs first (tap-csv into a real Postgres, one of them failing), then the pages as a
person uses them: the runs page lists both with their status and draws its chart, the
failed run shows its error and log, Run now starts a run that appears on the runs page and
finishes. A screenshot of each page is saved under ``.artifacts/ui/`` (git-ignored) for a
person to look at; the README's screenshots are copies of two of them.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from elt import Project, RunStatus
from tests.fixtures.uiserver import UiServer

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / ".artifacts" / "ui"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT = 60.0

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="Debian's chromium and chromium-driver are missing: run `make test-deps`",
)


def make_project(root: Path, pg_database: str) -> Path:
    root.mkdir()
    (root / "data").mkdir()
    rows = "".join(f"{n},customer {n},{n}.50\n" for n in range(1, 501))
    (root / "data" / "orders.csv").write_text("id,name,amount\n" + rows, encoding="utf-8")
    (root / "plugins.yml").write_text(
        textwrap.dedent(
            f"""\
            version: 1
            default_environment: dev
            environments: [{{name: dev}}]
            plugins:
              taps:
                - name: tap-csv
                  config:
                    files: [{{entity: orders, path: data/orders.csv, keys: [id]}}]
              targets:
                - name: target-postgres
                  config:
                    sqlalchemy_url: "{pg_database}"
                    default_target_schema: shop
            jobs:
              - name: nightly
                tasks: ["tap-csv target-postgres"]
            schedules:
              - name: nightly
                job: nightly
                interval: "0 3 * * *"
                timezone: Europe/Berlin
            """
        )
    )
    return root


@pytest.fixture
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium must not look for drivers online
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver: object, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))  # type: ignore[attr-defined]
    return path


def test_a_person_watches_runs_reads_a_failure_and_runs_a_schedule_now(
    tmp_path: Path, pg_database: str, browser: object
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    root = make_project(tmp_path / "shop", pg_database)
    project = Project.open(root)
    ok = project.run("tap-csv", "target-postgres")
    missing = pg_database.rsplit("/", 1)[0] + "/no_such_database"
    failed = project.run(
        "tap-csv",
        "target-postgres",
        config={"target-postgres.sqlalchemy_url": missing},
        check=False,
    )
    assert (ok.status, failed.status) == (RunStatus.SUCCESS, RunStatus.FAILED)
    server = UiServer(root).start()
    driver = browser
    wait = WebDriverWait(driver, WAIT)  # type: ignore[arg-type]
    try:
        driver.get(f"{server.url}/runs")  # type: ignore[attr-defined]
        good = wait.until(ec.presence_of_element_located((By.ID, f"run-{ok.run_id}")))
        bad = driver.find_element(By.ID, f"run-{failed.run_id}")  # type: ignore[attr-defined]
        assert (good.get_attribute("data-status"), bad.get_attribute("data-status")) == (
            "success",
            "failed",
        )
        figure = wait.until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "figure.chart[data-drawn]"))
        )
        assert int(figure.get_attribute("data-drawn") or 0) == 2  # both runs are points
        painted = driver.execute_script(  # type: ignore[attr-defined]
            """const canvas = arguments[0].querySelector("canvas");
               if (!canvas || !canvas.width) return 0;
               const pixels = canvas.getContext("2d")
                 .getImageData(0, 0, canvas.width, canvas.height).data;
               let painted = 0;
               for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) painted++;
               return painted;""",
            figure,
        )
        assert painted > 500, "the chart canvas is blank"
        shot(driver, "runs")

        bad.find_element(By.LINK_TEXT, failed.run_id).click()
        wait.until(ec.presence_of_element_located((By.ID, "run-error")))
        assert driver.find_element(By.ID, "run-status").text == "failed"  # type: ignore[attr-defined]
        error = driver.find_element(By.ID, "run-error").text  # type: ignore[attr-defined]
        assert "no_such_database" in error
        assert "exited with code 78" in error
        log = driver.find_element(By.ID, "run-log").text  # type: ignore[attr-defined]
        assert f"run {failed.run_id}: tap-csv -> target-postgres" in log
        shot(driver, "run")

        driver.get(f"{server.url}/pipelines")  # type: ignore[attr-defined]
        wait.until(ec.element_to_be_clickable((By.ID, "run-now-nightly"))).click()
        wait.until(ec.presence_of_element_located((By.ID, "runs-table")))

        def launched_and_finished(driver: object) -> bool:
            rows = driver.find_elements(By.CSS_SELECTOR, "#runs tr.run")  # type: ignore[attr-defined]
            return any(
                row.get_attribute("data-run-id") not in (ok.run_id, failed.run_id)
                and row.get_attribute("data-status") == "success"
                for row in rows
            )

        WebDriverWait(driver, 120).until(launched_and_finished)  # type: ignore[arg-type]
        shot(driver, "run-now")
        [launched] = project.runs(schedule="nightly")
        assert (launched.origin.trigger.value, launched.status) == ("ui", RunStatus.SUCCESS)

        for page in ("pipelines", "state", "plugins"):
            driver.get(f"{server.url}/{page}")  # type: ignore[attr-defined]
            wait.until(ec.presence_of_element_located((By.TAG_NAME, "main")))
            assert "Not found" not in driver.title  # type: ignore[attr-defined]
            shot(driver, page)
    finally:
        server.stop()
    for name in ("runs", "run"):  # what the README shows, when asked to refresh it
        if os.environ.get("ELT_UPDATE_SCREENSHOTS"):
            shutil.copyfile(ARTIFACTS / f"{name}.png", REPO / "docs" / f"ui-{name}.png")
