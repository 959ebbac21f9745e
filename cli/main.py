"""``byggpuls``: one command line for every service."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol

from byggpuls import logs
from byggpuls.errors import ConfigError


class _Command(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...
    def run(self, args: argparse.Namespace) -> int: ...


#: Subcommand -> (module, one-line help). A module is imported only when its command runs, so
#: ``byggpuls gateway`` loads neither the demo's supervisor nor the other services.
COMMANDS = {
    "demo": (
        "sandbox.demo",
        "run the whole platform on embedded defaults with simulated buildings",
    ),
    "gateway": ("cli.commands.gateway", "run an edge gateway: drivers -> disk spool -> MQTT"),
    "ingest": ("cli.commands.ingest", "run an ingest worker: MQTT -> reading store"),
    "analytics": ("cli.commands.analytics", "run the detectors over stored readings"),
    "api": ("cli.commands.api", "serve the HTTP API and the dashboard"),
    "admin": ("cli.commands.admin", "manage users and API keys (the first admin too)"),
}


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default, unless it has none of its own (it comes from the environment)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False, argparse.SUPPRESS):
            return action.help
        return super()._get_help_string(action)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line; only the command that ``argv`` names gets its module imported.

    Without ``argv`` every command's options are added (all modules imported).
    """
    chosen = set(COMMANDS) if argv is None else {_command_in(argv)}
    parser = argparse.ArgumentParser(
        prog="byggpuls",
        description=(
            "Byggpuls building-sensor platform. Services read their settings from BYGGPULS_* "
            "environment variables (see README.md); options override them."
        ),
    )
    # No defaults here: unset options leave BYGGPULS_LOG_* to the log settings.
    parser.add_argument(
        "--log-level",
        choices=[level.value for level in logs.LogLevel],
        type=str.upper,
        help="log level (default: INFO, env BYGGPULS_LOG_LEVEL)",
    )
    parser.add_argument(
        "--log-json",
        action="store_true",
        default=None,
        help="log one JSON object per line (env BYGGPULS_LOG_JSON=1)",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(
            name,
            help=help_text,
            description=help_text,
            formatter_class=_HelpFormatter,
        )
        if name in chosen:
            module: _Command = importlib.import_module(module_name)
            module.add_arguments(sub)
            sub.set_defaults(_module=module)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs: its first word that is not an option of ``byggpuls`` itself."""
    words = iter(argv)
    for word in words:
        if word == "--log-level":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 2 when a setting is wrong, said in one paragraph on stderr."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    module: _Command = args._module
    try:
        _configure_logging(args)
        return module.run(args)
    except ConfigError as exc:
        print(f"byggpuls {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _configure_logging(args: argparse.Namespace) -> None:
    """Configure logging once, for every command, from the log settings and the options."""
    from byggpuls.settings import LogSettings, load  # pydantic: not for `byggpuls --help`

    settings = load(LogSettings, log_level=args.log_level, log_json=args.log_json)
    logs.configure(level=settings.log_level, json_lines=settings.log_json)


if __name__ == "__main__":
    sys.exit(main())
