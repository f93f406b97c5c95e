"""A tiny Singer tap for tests: the standard library only, its behaviour set by its config.

Streams ``items`` (ids 1..count, a STATE bookmarking the id after each record) and
``others`` (ids 1..others, no bookmark). At the end of each stream it logs a singer-sdk
``METRIC`` record_count line with the records it wrote. With ``ELT_METRIC_INTERVAL`` set (as
elt's own taps read it) it also logs a zero count when ``items`` starts, its count every
that many seconds, and a ``sync_duration`` timer when it ends.

Config keys (all optional):
  count, others     how many records each stream has (10, 2)
  die_after         exit 3 after writing N items in this run; with ``die_mid_line`` it first
                    writes half of the next RECORD line
  hang_after        stop after N items and sleep until signalled
  pace              seconds to sleep after each item (a slow source)
  ignore_sigterm    log SIGTERM and go on
  discover_fails    make --discover exit 2
  fail_once_marker  a file: when it does not exist yet, create it and exit 75 (a transient
                    failure: a retry succeeds) after writing ``fail_once_after`` items (0)
  password          logged to stderr, to prove the runner redacts it
  refused_with      lines of a server's refusal (a 401 body): logged as ERROR lines, then
                    it exits 1 before writing anything
  echo_state        first send the state it was given as a STATE (some taps do)
  report            a file where a run writes its pid, arguments, the mode of its config file
                    and directory, the state and catalog it got
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import stat
import sys
import time

CATALOG = {
    "streams": [
        {
            "tap_stream_id": "items",
            "stream": "items",
            "schema": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "note": {"type": "string"},
                },
            },
            "key_properties": ["id"],
            "metadata": [
                {"breadcrumb": [], "metadata": {"selected-by-default": True}},
                {"breadcrumb": ["properties", "id"], "metadata": {"inclusion": "automatic"}},
            ],
        },
        {
            "tap_stream_id": "others",
            "stream": "others",
            "schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
            "key_properties": ["id"],
            "metadata": [{"breadcrumb": [], "metadata": {"selected-by-default": True}}],
        },
    ]
}


def log(text: str) -> None:
    sys.stderr.write(f"INFO toy-tap: {text}\n")
    sys.stderr.flush()


def log_error(text: str) -> None:
    sys.stderr.write(f"ERROR toy-tap: {text}\n")
    sys.stderr.flush()


def metric(stream: str, count: int) -> None:
    point = {
        "type": "counter",
        "metric": "record_count",
        "value": count,
        "tags": {"stream": stream},
    }
    sys.stderr.write(f"INFO singer_sdk.metrics METRIC: {json.dumps(point)}\n")
    sys.stderr.flush()


class Counter:
    """Counts a stream's records and logs them as singer-sdk does (see the module doc)."""

    def __init__(self, stream: str) -> None:
        self.stream = stream
        self.pending = 0
        interval = os.environ.get("ELT_METRIC_INTERVAL")
        self.interval = float(interval) if interval else None
        self.started = self.last = time.monotonic()
        if self.interval:
            metric(stream, 0)

    def add(self) -> None:
        self.pending += 1
        if self.interval and time.monotonic() - self.last >= self.interval:
            self.flush()

    def flush(self) -> None:
        metric(self.stream, self.pending)
        self.pending = 0
        self.last = time.monotonic()

    def end(self) -> None:
        if self.interval:
            seconds = time.monotonic() - self.started
            point = {
                "type": "timer",
                "metric": "sync_duration",
                "value": seconds,
                "tags": {"stream": self.stream, "status": "succeeded"},
            }
            sys.stderr.write(f"INFO singer_sdk.metrics METRIC: {json.dumps(point)}\n")
        self.flush()


def emit(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")


def selected(entry: dict, breadcrumb: list[str]) -> bool:
    for item in entry.get("metadata", []):
        if item["breadcrumb"] == breadcrumb:
            meta = item["metadata"]
            if meta.get("inclusion") == "automatic":
                return True
            return bool(meta.get("selected", meta.get("selected-by-default", False)))
    return False


def on_sigterm(ignore: bool) -> None:
    def handle(number: int, frame: object) -> None:
        if ignore:
            log("got SIGTERM, ignoring it")
            return
        log("got SIGTERM, stopping")
        os._exit(143)

    signal.signal(signal.SIGTERM, handle)


def report(config: dict, args: argparse.Namespace, state: dict | None, catalog: dict) -> None:
    if "report" not in config:
        return
    with open(config["report"], "w") as out:
        json.dump(
            {
                "pid": os.getpid(),
                "argv": sys.argv[1:],
                "config": args.config,
                "config_mode": stat.S_IMODE(os.stat(args.config).st_mode),
                "config_dir_mode": stat.S_IMODE(os.stat(os.path.dirname(args.config)).st_mode),
                "state": state,
                "catalog": catalog,
                "environ": {k: v for k, v in os.environ.items() if k.startswith("TOY_")},
            },
            out,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--discover", action="store_true")
    parser.add_argument("--catalog")
    parser.add_argument("--state")
    args = parser.parse_args()
    with open(args.config) as file:
        config = json.load(file)
    on_sigterm(bool(config.get("ignore_sigterm")))
    if args.discover:
        log("discovering")
        if config.get("discover_fails"):
            log_error("cannot reach the source")
            sys.exit(2)
        json.dump(CATALOG, sys.stdout)
        return
    state = None
    if args.state:
        with open(args.state) as file:
            state = json.load(file)
    catalog = CATALOG
    if args.catalog:
        with open(args.catalog) as file:
            catalog = json.load(file)
    report(config, args, state, catalog)
    if "password" in config:
        log(f"connecting with password {config['password']}")
    if "refused_with" in config:
        for line in config["refused_with"]:
            log_error(line)
        sys.exit(1)
    start = ((state or {}).get("bookmarks", {}).get("items", {}).get("id") or 0) + 1
    log(f"starting at item {start}")
    if config.get("echo_state") and state is not None:
        emit({"type": "STATE", "value": state})
    streams = {entry["tap_stream_id"]: entry for entry in catalog["streams"]}
    for name in ("items", "others"):
        entry = streams.get(name)
        if entry is None or not selected(entry, []):
            continue
        props = [p for p in entry["schema"]["properties"] if selected(entry, ["properties", p])]
        emit(
            {"type": "SCHEMA", "stream": name, "schema": entry["schema"], "key_properties": ["id"]}
        )
        if name == "items":
            counter = Counter(name)
            sync_items(config, props, start, counter)
            counter.end()
        else:
            count = int(config.get("others", 2))
            for i in range(1, count + 1):
                emit({"type": "RECORD", "stream": "others", "record": {"id": i}})
            sys.stdout.flush()
            metric(name, count)
    sys.stdout.flush()
    log("done")


def sync_items(config: dict, props: list[str], start: int, counter: Counter) -> None:
    """Write the items from ``start``, counting them."""
    ids = range(start, int(config.get("count", 10)) + 1)
    for written, i in enumerate(ids):
        marker = config.get("fail_once_marker")
        if marker and not os.path.exists(marker) and written >= config.get("fail_once_after", 0):
            open(marker, "w").close()
            sys.stdout.flush()
            log_error("the source is unavailable right now (a retry may succeed)")
            sys.exit(75)
        if "hang_after" in config and written >= config["hang_after"]:
            sys.stdout.flush()
            log(f"hanging after {written} items")
            while True:
                time.sleep(0.05)
        if "die_after" in config and written >= config["die_after"]:
            if config.get("die_mid_line"):
                sys.stdout.write('{"type": "RECORD", "stream": "items", "rec')
            sys.stdout.flush()
            log("boom: dying on purpose")
            sys.exit(3)
        record = {"id": i, "name": f"item {i}", "note": "n"}
        emit({"type": "RECORD", "stream": "items", "record": {p: record[p] for p in props}})
        emit({"type": "STATE", "value": {"bookmarks": {"items": {"id": i}}}})
        sys.stdout.flush()
        counter.add()
        if "pace" in config:
            time.sleep(config["pace"])


if __name__ == "__main__":
    main()
