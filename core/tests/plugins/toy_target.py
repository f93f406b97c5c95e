"""A tiny Singer target for tests: the standard library only, its behaviour set by its config.

It appends each record (with its stream) to the JSONL file ``path``. On a STATE it commits
the records received since the last one (write, flush, fsync) and only then echoes the
state value on stdout, as a Singer target must. At end of input it commits what is left.

Config keys (all optional but ``path``):
  die_after               exit 4 on receiving record N of this run, before committing it
  bad_stdout_after        after echoing N states, write a line that is not a state
  truncated_stdout_after  after echoing N states, write half a state line and exit 5
  ignore_sigterm          log SIGTERM and go on
  api_token               logged to stderr, to prove the runner redacts it
  log_error               logged to stderr as an ERROR line, though the target succeeds
  log_committed           log each commit's rows per stream as a METRIC record_count counter
                          tagged "committed", as elt's own targets do
  report                  a file where it writes its pid and the mode of its config file
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import stat
import sys


def log(text: str) -> None:
    sys.stderr.write(f"INFO toy-target: {text}\n")
    sys.stderr.flush()


def log_error(text: str) -> None:
    sys.stderr.write(f"ERROR toy-target: {text}\n")
    sys.stderr.flush()


def log_committed(records: list[dict]) -> None:
    """A committed record_count METRIC line per stream, as elt.sdk.log_committed logs."""
    for stream in sorted({record["stream"] for record in records}):
        rows = sum(record["stream"] == stream for record in records)
        point = {"type": "counter", "metric": "record_count", "value": rows}
        log("METRIC: " + json.dumps({**point, "tags": {"stream": stream, "committed": True}}))


def start(config: dict, config_path: str) -> None:
    """What the config asks for before any input is read."""
    if config.get("ignore_sigterm"):
        signal.signal(signal.SIGTERM, lambda number, frame: log("got SIGTERM, ignoring it"))
    if "report" in config:
        with open(config["report"], "w") as out:
            mode = stat.S_IMODE(os.stat(config_path).st_mode)
            json.dump({"pid": os.getpid(), "config": config_path, "config_mode": mode}, out)
    if "api_token" in config:
        log(f"using token {config['api_token']}")
    if "log_error" in config:
        log_error(config["log_error"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    with open(args.config) as file:
        config = json.load(file)
    start(config, args.config)
    received = states = 0
    pending: list[dict] = []
    with open(config["path"], "a") as output:

        def commit() -> None:
            for record in pending:
                output.write(json.dumps(record) + "\n")
            output.flush()
            os.fsync(output.fileno())
            if config.get("log_committed"):
                log_committed(pending)
            pending.clear()

        for number, line in enumerate(sys.stdin, start=1):
            try:
                message = json.loads(line)
            except ValueError:
                log_error(f"line {number} is not JSON: {line[:40]!r}")
                sys.exit(6)
            if message["type"] == "RECORD":
                received += 1
                if received == config.get("die_after"):
                    log(f"boom: dying on record {received}")
                    sys.exit(4)
                pending.append({"stream": message["stream"], **message["record"]})
            elif message["type"] == "STATE":
                commit()
                sys.stdout.write(json.dumps(message["value"]) + "\n")
                sys.stdout.flush()
                states += 1
                if states == config.get("bad_stdout_after"):
                    sys.stdout.write("committed a batch\n")
                    sys.stdout.flush()
                if states == config.get("truncated_stdout_after"):
                    sys.stdout.write('{"bookmarks": {"ite')
                    sys.stdout.flush()
                    log("boom: dying while writing a state")
                    sys.exit(5)
        commit()
    log(f"done: {received} records")


if __name__ == "__main__":
    main()
