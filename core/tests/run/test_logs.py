from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from elt.run import Redactor
from elt.run.logs import RunLog, StderrPump


def test_a_secret_and_its_json_escaped_form_are_redacted() -> None:
    redact = Redactor(['pa"ss\\word'])
    assert redact('login pa"ss\\word, json {"password": "pa\\"ss\\\\word"}') == (
        'login ********, json {"password": "********"}'
    )


def test_a_secret_is_redacted_url_encoded_decoded_and_in_base64() -> None:
    redact = Redactor(["pa ss/+=", "t%2Fk"])
    for form in ("pa%20ss%2F%2B%3D", "pa+ss%2F%2B%3D", "cGEgc3MvKz0", "t/k", "t%2Fk"):
        assert redact(f"<{form}>") == "<********>", form


def test_credentials_elt_never_saw_are_redacted_by_their_place() -> None:
    redact = Redactor([])
    assert redact('401 {"access_token": "tok-1"}') == '401 {"access_token": "********"}'
    assert redact("Authorization: Bearer abc.def.ghi") == "Authorization: Bearer ********"


def test_the_longest_of_overlapping_secrets_is_redacted_whole() -> None:
    assert Redactor(["abc", "abcdef"])("key=abcdef") == "key=********"


def test_no_secrets_leave_text_unchanged() -> None:
    assert Redactor([""])("anything") == "anything"


def pump_through_a_pipe(log: RunLog, source: str, data: bytes) -> StderrPump:
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "wb") as writer:
        pump = log.pump(source, os.fdopen(read_end, "rb"))
        writer.write(data)
    pump.join(10)
    return pump


def read_through_a_pipe(log: RunLog, source: str, data: bytes) -> list[str]:
    return pump_through_a_pipe(log, source, data).tail()


def test_stderr_lines_go_to_the_file_tagged_and_redacted(tmp_path: Path) -> None:
    log = RunLog(tmp_path / "logs" / "run.log", Redactor(["hunter2"]))
    tail = read_through_a_pipe(log, "tap-x", b"INFO password hunter2\nlast \xff line")
    log.close()
    lines = (tmp_path / "logs" / "run.log").read_text().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == [
        "tap-x | INFO password ********",
        "tap-x | last \ufffd line",
    ]
    assert lines[0].split(" ", 1)[0].endswith("Z")
    assert tail == ["INFO password ********", "last \ufffd line"]
    assert stat.S_IMODE((tmp_path / "logs" / "run.log").stat().st_mode) == 0o600


def test_only_the_last_ten_lines_are_kept_for_error_messages(tmp_path: Path) -> None:
    log = RunLog(tmp_path / "run.log", Redactor([]))
    data = b"".join(f"line {i}\n".encode() for i in range(25))
    assert read_through_a_pipe(log, "tap-x", data) == [f"line {i}" for i in range(15, 25)]


def test_a_line_is_logged_at_the_level_it_names_and_continuations_keep_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = RunLog(tmp_path / "run.log", Redactor([]))
    data = (
        b"2024-01-01 00:00:00 | INFO     | tap-x | starting\n"
        b"2024-01-01 00:00:01 | ERROR    | tap-x | failed:\n"
        b"Traceback (most recent call last):\n"
        b"WARNING: slow\n"
    )
    with caplog.at_level(logging.DEBUG, logger="elt.run"):
        pump = pump_through_a_pipe(log, "tap-x", data)
        # error lines are held back from the console until the plugin is known not to fail
        assert [r.levelname for r in caplog.records] == ["INFO", "WARNING"]
        pump.release()
    assert [(r.levelname, r.getMessage().rsplit("| ", 1)[1]) for r in caplog.records] == [
        ("INFO", "starting"),
        ("WARNING", "WARNING: slow"),
        ("ERROR", "failed:"),
        ("ERROR", "Traceback (most recent call last):"),
    ]
    log.close()
    assert len((tmp_path / "run.log").read_text().splitlines()) == 4


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            b"2026-12-07 19:33:19,736 | ERROR    | tap-csv                 | files[0].path: "
            b"'x.csv' matches no file",
            "files[0].path: 'x.csv' matches no file",
        ),
        (
            b"CRITICAL Could not connect: timeout | retrying",
            "Could not connect: timeout | retrying",
        ),
        (b"ERROR:root:boom", "root:boom"),
    ],
)
def test_an_error_lines_message_is_kept_without_its_logging_prefix(
    tmp_path: Path, line: bytes, message: str
) -> None:
    log = RunLog(tmp_path / "run.log", Redactor(["x.csv"]))
    pump = pump_through_a_pipe(log, "tap-x", b"INFO fine\n" + line + b"\n")
    assert pump.errors() == [message.replace("x.csv", "********")]
