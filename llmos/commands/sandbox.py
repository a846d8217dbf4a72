"""``llmos sandbox build|status|reap``: the Docker sandbox's image and containers (``python -m sandbox``)."""
from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sandbox", help="build the sandbox image, show the engine, remove leftover containers",
                       add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sandbox.__main__ import main as sandbox_main

    try:
        return sandbox_main(args.rest or ["--help"], prog="llmos sandbox")
    except SystemExit as exc:  # argparse's --help and usage errors
        return int(exc.code or 0)
