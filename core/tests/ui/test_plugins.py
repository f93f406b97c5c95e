"""The Plugins page on a real ``elt ui``: each setting's value and source, secrets as
******** whatever their source (the scanning client checks no secret value is sent)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from core.tests.ui.conftest import UiProject
from tests.fixtures.uiserver import UiServer


def row(page: str, plugin: str, setting: str) -> str:
    section = page.split(f'<section class="plugin" id="plugin-{plugin}"')[1].split(
        "</section>", maxsplit=1
    )[0]
    return section.split(f'<tr data-setting="{setting}"')[1].split("</tr>")[0]


def test_settings_show_their_values_and_sources_and_secrets_as_stars(
    project: UiProject, serve: Callable[..., UiServer]
) -> None:
    with serve().client() as client:
        page = client.get("/plugins")
    assert page.status_code == 200
    password = row(page.text, "toy-tap", "password")  # from .env
    assert 'class="secret"' in password
    assert "<code>********</code>" in password
    assert "TOY_TAP_PASSWORD" in password  # where it comes from, not what it is
    token = row(page.text, "toy-target", "api_token")  # from plugins.yml
    assert "<code>********</code>" in token
    count = row(page.text, "toy-tap", "count")
    assert "<code>5</code>" in count
    assert "plugins.yml" in count


def test_plugins_yml_is_read_anew_and_an_invalid_one_is_shown_not_fatal(
    project: UiProject, serve: Callable[..., UiServer]
) -> None:
    server = serve()
    original = (project.root / "plugins.yml").read_text()
    document = json.loads(original)
    document["plugins"]["mappers"][0]["config"] = {"fields": "$" + "{UI_TEST_NEVER_SET}"}
    (project.root / "plugins.yml").write_text(json.dumps(document))
    with server.client() as client:
        broken = client.get("/plugins")
        assert broken.status_code == 500
        assert "environment variable UI_TEST_NEVER_SET is not set" in broken.text
        document["plugins"]["mappers"][0]["config"] = {"fields": "name"}
        (project.root / "plugins.yml").write_text(json.dumps(document))
        mended = client.get("/plugins")
    assert mended.status_code == 200
    assert "<code>name</code>" in row(mended.text, "toy-mapper", "fields")


def test_an_invalid_plugins_yml_stops_elt_ui_at_start(project: UiProject) -> None:
    (project.root / "plugins.yml").write_text("version: 1\nplugins: {taps: [{name: 3}]}\n")
    server = UiServer(project.root)
    with pytest.raises(AssertionError, match="elt ui exited 78"):
        server.start()
