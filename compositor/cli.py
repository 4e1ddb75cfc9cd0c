"""The `layers` command line.

Each subcommand lives in its own module under `compositor/commands/` and exposes
`register(subparsers)` (adds its parser, with `func=run` as default) and `run(args) -> int`.
User mistakes (a `LayersError`) are printed as one line and exit 2; nothing prints a traceback
unless `--debug` is given.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from compositor.errors import LayersError

COMMANDS = ("demo", "run", "app", "cameras", "bench", "soak")

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="layers",
        description="A local runtime for Zoom's Layers API: cameras in, composited video out.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"compositor.commands.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"compositor.commands.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or EXIT_OK)
    except KeyboardInterrupt:
        print("layers: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except LayersError as error:
        if args.debug:
            raise
        print(f"layers {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
