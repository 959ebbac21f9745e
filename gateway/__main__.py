"""``python -m gateway``: the gateway alone, for a device that runs nothing else.

The same options as ``byggpuls gateway``, without importing the other services' commands.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from byggpuls import logs
from byggpuls.errors import ConfigError
from gateway import command


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway")
    parser.add_argument(
        "--log-level",
        default=os.environ.get("BYGGPULS_LOG_LEVEL", "INFO"),
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        type=str.upper,
        help="log level (default: %(default)s, env BYGGPULS_LOG_LEVEL)",
    )
    command.add_arguments(parser)
    args = parser.parse_args(argv)
    logs.configure(level=args.log_level)
    try:
        return command.run(args)
    except ConfigError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
