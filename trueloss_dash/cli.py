"""`trueloss-dash` command line: one entry point, one module per sub-command.

Each module in :mod:`trueloss_dash.commands` exposes ``register(subparsers)``, which adds its
parser and sets ``func`` to a callable ``(args) -> int``. Imports stay light (no torch, no
Streamlit) until a command that needs them runs. User errors (:class:`TruelossError`) are printed
as one sentence on stderr with exit code 2 - never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import TruelossError

COMMANDS = ("inspect", "diagnose", "train", "serve", "watch", "runs")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trueloss-dash",
        description="Diagnose training runs: reported vs true training loss vs validation loss.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"trueloss_dash.commands.{name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except TruelossError as err:
        print(f"trueloss-dash {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"trueloss-dash {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `trueloss-dash inspect ... | head`: the reader went away; not an error worth a traceback.
        _silence_stdout()
        return 0


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
