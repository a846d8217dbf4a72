"""The ``llmos`` command line: one parser, each subcommand registered by its module under llmos/commands."""
from __future__ import annotations

import argparse
import sys

from . import __version__, commands, home
from .commands import procs


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="llmos", description="An operating system for LLM agents.")
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND")
    commands.add_parsers(sub)
    sub.add_parser("version", help="print the llmos version").set_defaults(func=version)
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(procs.signal_argv(sys.argv[1:] if argv is None else argv))
    if args.cmd not in (None, "version", "new"):  # every command but these reads or writes the home
        bad = home.check(getattr(args, "home", None))
        if bad:
            print(f"llmos: {bad}", file=sys.stderr)
            return 2
    try:
        return _dispatch(ap, args)
    except OSError as exc:  # a file-system failure met later (a sub-folder that is a file, a full disk)
        print(f"llmos: {home.describe(exc)}", file=sys.stderr)
        return 1


def _dispatch(ap: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.cmd is None:
        ap.print_help()
        return 2
    return args.func(args)


def version(args: argparse.Namespace) -> int:
    print(f"llmos {__version__}")
    return 0
