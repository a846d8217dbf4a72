"""``llmos shell`` and ``llmos top``: the interactive front ends."""
from __future__ import annotations

import argparse


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("shell", help="the interactive llmos shell (starts the kernel if none runs)")
    p.set_defaults(func=shell)
    p = sub.add_parser("top", help="watch processes live (htop for agents)")
    p.set_defaults(func=top)


def shell(args: argparse.Namespace) -> int:
    from ..shell import main
    return main()


def top(args: argparse.Namespace) -> int:
    from ..top import main
    return main()
