"""A tap killed mid-snapshot resumes after the last bookmark: no gap, no duplicate."""

from __future__ import annotations

import io
import json
import subprocess

from elt.protocol import read_messages

from .conftest import TAP


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
