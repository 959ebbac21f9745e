"""``python -m ingest``: the worker of ``byggpuls ingest``, without the other services."""

from __future__ import annotations

import argparse
import os
import sys

from byggpuls import logs
from byggpuls.errors import ConfigError
from ingest import command


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__)
    parser.add_argument(
        "--log-level", default=os.environ.get("BYGGPULS_LOG_LEVEL", "INFO"), type=str.upper
    )
    parser.add_argument(
        "--log-json",
        action="store_true",
        default=os.environ.get("BYGGPULS_LOG_JSON", "") not in ("", "0", "false"),
    )
    command.add_arguments(parser)
    args = parser.parse_args()
    logs.configure(level=args.log_level, json_lines=args.log_json)
    try:
        return command.run(args)
    except ConfigError as exc:
        print(f"ingest: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
