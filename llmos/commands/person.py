"""``llmos attach PID`` and ``llmos answer ID TEXT``: reach a process you did not start in this terminal."""
from __future__ import annotations

import argparse
import sys

from .. import runfollow
from ..channels import RemoteChannel
from ..client import Client
from ..format import outcome
from ..person import footer
from ..textsafe import printable
from .procs import _run


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("attach", help="follow a running process: its status line, questions and approvals, "
                                      "and its result (Ctrl-Z leaves it running)")
    p.add_argument("pid", type=int)
    p.set_defaults(func=attach)
    p = sub.add_parser("answer", help="answer a process's question (`llmos approvals` lists them)")
    p.add_argument("id", help="the question's id")
    p.add_argument("text", nargs="+", help="the answer")
    p.set_defaults(func=answer)


def attach(args: argparse.Namespace) -> int:
    tty = runfollow.interactive()

    async def go():
        async with Client() as c:
            return await runfollow.follow(RemoteChannel(c), args.pid, tty=tty, remote=True)
    info, seconds = _run(go)
    if info is None:
        return 0
    if info.exit_reason == "exited":
        print(printable(info.result or "", newlines=True))
    else:
        print(f"llmos: {outcome(info)}", file=sys.stderr)
    if tty:
        print(footer(seconds), file=sys.stderr)
    return 0 if info.exit_reason == "exited" else 1


def answer(args: argparse.Namespace) -> int:
    async def go():
        async with Client() as c:
            await c.answer(args.id, " ".join(args.text))
    _run(go)
    print(f"answered {args.id}")
    return 0
