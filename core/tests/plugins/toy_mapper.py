"""A tiny Singer mapper for tests: the standard library only, its behaviour set by its config.

It copies every message from stdin to stdout, renaming record properties (and the matching
SCHEMA properties) as ``rename`` says.

Config keys (all optional):
  rename        {"old": "new"} property names to rename in every stream
  die_after     exit 6 on receiving record N, before passing it on
"""

from __future__ import annotations

import argparse
import json
import sys


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    with open(args.config) as file:
        config = json.load(file)
    rename: dict[str, str] = config.get("rename", {})
    records = 0
    for line in sys.stdin:
        message = json.loads(line)
        if message["type"] == "RECORD":
            records += 1
            if records == config.get("die_after"):
                sys.stderr.write("ERROR toy-mapper: cannot map this record\n")
                sys.exit(6)
            message["record"] = {rename.get(k, k): v for k, v in message["record"].items()}
        elif message["type"] == "SCHEMA":
            properties = message["schema"].get("properties", {})
            message["schema"]["properties"] = {rename.get(k, k): v for k, v in properties.items()}
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
