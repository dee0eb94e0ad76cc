"""Command line: ``torquenet <subcommand>``; each subcommand parses, calls one API function, writes.

Subcommands live in one module each (``cli/_<name>.py``) exposing ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from torquenet._version import __version__

#: Subcommand modules, in the order shown by --help.
SUBCOMMAND_MODULES = (
    "_demo",
    "_fields",
    "_simulate",
    "_mc",
    "_generate",
    "_data",
    "_train",
    "_evaluate",
    "_erf",
    "_analyze",
    "_compare",
    "_export",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="torquenet",
        description="Machine-learned spin dynamics of itinerant magnets.",
    )
    parser.add_argument("--version", action="version", version=f"torquenet {__version__}")
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging verbosity",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(f"torquenet.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError, OSError, RuntimeError) as exc:
        # User-facing errors: one clear line, non-zero exit, no traceback.
        print(f"torquenet {args.command}: error: {exc}", file=sys.stderr)
        return 2
