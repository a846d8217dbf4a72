"""``llmos sandbox build|status|reap``: the Docker sandbox's image and containers (``python -m sandbox``)."""
from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sandbox", help="build the sandbox image, show the engine, remove leftover containers",
                       add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import sys

    from kernel.settings import SettingsError, load
    from sandbox.__main__ import main as sandbox_main

    try:
        engine = load().config.sandbox_engine  # [sandbox] engine in llmos.toml, as the kernel uses it
    except SettingsError as exc:
        print(f"llmos: configuration error: {exc}", file=sys.stderr)
        return 2
    rest = args.rest or ["--help"]
    if engine and "--engine" not in rest:
        rest = ["--engine", engine, *rest]
    try:
        return sandbox_main(rest, prog="llmos sandbox")
    except SystemExit as exc:  # argparse's --help and usage errors
        return int(exc.code or 0)
