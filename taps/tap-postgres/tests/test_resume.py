"""A tap killed mid-snapshot resumes after the last bookmark: no gap, no duplicate."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from elt.protocol import read_messages

from .conftest import TAP

TARGET_POSTGRES = Path(sys.executable).with_name("target-postgres")


def test_killed_snapshot_resumes_without_gaps_or_duplicates(source, tmp_path):
    source.execute(
        "create table big (id bigint primary key, payload text);"
        "insert into big select i, repeat('x', 50) from generate_series(1, 20000) i"
    )
    config = tmp_path / "config.json"
    config.write_text(json.dumps(source.config(chunk_rows=3000, state_interval_rows=1000)))
    tap = subprocess.Popen(
        [str(TAP), "--config", str(config)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert tap.stdout is not None
    seen: list[bytes] = []
    records = 0
    for line in tap.stdout:
        seen.append(line)
        records += line.startswith(b'{"type":"RECORD"')
        if records >= 7500:
            tap.kill()
            break
    tap.wait()
    first = list(read_messages(io.BytesIO(b"".join(seen))))
    last_state = max(i for i, m in enumerate(first) if m["type"] == "STATE")
    committed = [m["record"]["id"] for m in first[:last_state] if m["type"] == "RECORD"]
    state = first[last_state]["value"]
    snapshot = state["bookmarks"]["public-big"]["snapshot"]
    assert snapshot["after"] == [committed[-1]]
    assert not any(m["type"] == "ACTIVATE_VERSION" for m in first)

    (tmp_path / "state.json").write_text(json.dumps(state))
    done = subprocess.run(
        [str(TAP), "--config", str(config), "--state", str(tmp_path / "state.json")],
        capture_output=True,
        check=True,
        timeout=120,
    )
    second = list(read_messages(io.BytesIO(done.stdout)))
    resumed = [m["record"]["id"] for m in second if m["type"] == "RECORD"]
    assert committed + resumed == list(range(1, 20001))
    versions = {m["version"] for m in first + second if m["type"] in ("RECORD", "ACTIVATE_VERSION")}
    assert versions == {snapshot["version"]}
    assert second[-1] == {"type": "STATE", "value": {"bookmarks": {"public-big": {}}}}


def test_a_shell_pipe_s_state_file_is_reused_run_after_run(source, tmp_path):
    """``tap | target > state.json`` leaves one JSON line per STATE the target emitted;
    ``tap --state state.json`` continues from the last one — twice over."""
    source.execute(
        "create table big (id bigint primary key, payload text);"
        "insert into big select i, md5(i::text) from generate_series(1, 250) i"
    )
    tap = source.config(max_record_count=100, filter_schemas=["public"])
    (tmp_path / "tap.json").write_text(json.dumps(tap))
    target = {"sqlalchemy_url": source.url, "default_target_schema": "copy"}
    (tmp_path / "target.json").write_text(json.dumps(target))
    pipe = f"{TAP} --config tap.json {{state}}| {TARGET_POSTGRES} --config target.json > {{out}}"

    def run(state: str, out: str) -> list[str]:
        subprocess.run(pipe.format(state=state, out=out), shell=True, cwd=tmp_path, check=True)
        return (tmp_path / out).read_text().splitlines()

    run("", "state.json")
    assert len(run("--state state.json ", "state2.json")) > 1  # the incoming state, then new
    last = run("--state state2.json ", "state3.json")[-1]

    loaded = source.query("select id, count(*) from copy.big group by id order by id")
    assert loaded == [(i, 1) for i in range(1, 251)]
    assert json.loads(last) == {"bookmarks": {"public-big": {}}}  # the snapshot completed
