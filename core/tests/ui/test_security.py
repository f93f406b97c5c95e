"""Who may see and act: the bind rule, the token (header or login cookie), the Host check
of a loopback bind, and the token never sent back, on a real ``elt ui``."""

from __future__ import annotations

import http.client
import os
import secrets
import subprocess
from collections.abc import Callable
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from core.tests.plugins import elt_executable
from core.tests.ui.conftest import UiProject, csrf
from elt.ui.security import check_bind, is_loopback, safe_next
from tests.fixtures.uiserver import UiServer, assert_clean


def start_ui(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    command = [elt_executable(), "--project", str(root), "ui", "--port", "0", *args]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])
def test_a_bind_other_machines_can_reach_refuses_to_start_without_a_token(
    project: UiProject, host: str
) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "ELT_UI_TOKEN"}
    process = start_ui(project.root, "--host", host, env=environment)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 78
    assert f"elt ui would listen on {host}" in stderr
    assert "ELT_UI_TOKEN" in stderr


def test_a_short_token_is_refused(project: UiProject) -> None:
    process = start_ui(project.root, "--token", "short")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 78
    assert "at least 16 are needed" in stderr
    assert "short" not in stderr.replace("is 5 characters", "")


def test_with_a_token_every_request_needs_it_by_header_or_login_cookie(
    project: UiProject, serve: Callable[..., UiServer]
) -> None:
    token = secrets.token_urlsafe(24)
    server = serve("--host", "0.0.0.0", env={"ELT_UI_TOKEN": token})
    url = server.url.replace("0.0.0.0", "127.0.0.1")
    forbidden = (*project.secrets, token)
    with httpx.Client(base_url=url, timeout=30) as client:
        answers = []
        for path in ("/runs", "/pipelines", "/state", "/plugins", "/series?state_id=x"):
            answers.append(client.get(path, headers={"accept": "text/html"}))
            answers.append(client.get(path, headers={"authorization": "Bearer wrong-token-xyz"}))
        assert {a.status_code for a in answers} == {401}
        assert 'id="login-token"' in answers[0].text  # a browser gets the login form
        assert answers[1].headers["www-authenticate"] == 'Bearer realm="elt ui"'
        assert client.post("/schedules/now/run").status_code == 401
        assert client.get("/runs/x/log/live").status_code == 401
        assert client.get("/static/elt.css").status_code == 200  # no data: no token needed

        bearer = client.get("/runs", headers={"authorization": f"Bearer {token}"})
        assert bearer.status_code == 200

        wrong = client.post("/login", data={"token": "not-it-at-all", "next": "/state"})
        assert wrong.status_code == 401
        assert 'id="login-error"' in wrong.text
        assert "set-cookie" not in wrong.headers
        login = client.post("/login", data={"token": token, "next": "/state"})
        assert login.status_code == 303
        assert login.headers["location"] == "/state"
        cookie = SimpleCookie(login.headers["set-cookie"])["elt_ui_session"]
        assert cookie["httponly"]
        assert cookie["samesite"] == "strict"
        assert cookie.value != token
        answers += [bearer, wrong, login]

        page = client.get("/state")  # the client keeps the cookie
        assert page.status_code == 200
        assert client.post("/schedules/now/run").status_code == 403  # still needs CSRF
        answers.append(page)
        for answer in answers:
            assert_clean(answer.text + str(answer.headers.get_list("location")), forbidden)

        token_for_forms = csrf(client)
        assert client.post("/logout", data={"csrf_token": token_for_forms}).status_code == 303
        client.cookies.clear()
        assert client.get("/state").status_code == 401
    # a wrong cookie value is no login either
    with httpx.Client(base_url=url, timeout=30, cookies={"elt_ui_session": token}) as client:
        assert client.get("/runs").status_code == 401


def test_a_loopback_bind_answers_loopback_host_names_only(
    project: UiProject, serve: Callable[..., UiServer]
) -> None:
    server = serve()
    parts = urlsplit(server.url)

    def status(host: str) -> int:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        try:
            connection.request("GET", "/runs", headers={"Host": host})
            return connection.getresponse().status
        finally:
            connection.close()

    assert status(f"127.0.0.1:{parts.port}") == 200
    assert status(f"localhost:{parts.port}") == 200
    assert status(f"attacker.example:{parts.port}") == 421  # DNS rebinding
    assert status("127.0.0.1.attacker.example") == 421


def test_the_bind_rule_and_the_login_redirect() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert is_loopback(host)
        check_bind(host, None)
    for host in ("0.0.0.0", "::", "10.0.0.1", "example.com"):
        assert not is_loopback(host)
        check_bind(host, "x" * 16)
    assert safe_next("/runs?status=failed") == "/runs?status=failed"
    for elsewhere in ("//evil.example/x", "https://evil.example", "/\\evil.example", None, ""):
        assert safe_next(elsewhere) == "/"
