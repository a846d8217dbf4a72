"""``llmos run`` and ``llmos attach`` follow their process: inline on a terminal, one line per question without.

On a terminal the foreground view (llmos/fgview.py) shows a status line and asks each approval and
question inline.  Without one, each is printed at once with how to answer it from elsewhere
(``llmos approve ID``); an in-process kernel, which nobody else can reach, refuses it at once
instead of letting the process wait out its expiry.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import anyio

from . import person
from .client import KernelError
from .fgview import Foreground

NOBODY = "nobody can answer an in-process run without a terminal"


def stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


async def follow(channel: person.Channel, pid: int, *, tty: bool, remote: bool,
                 say: Callable[[str], None] = stderr) -> tuple[Any, float]:
    """Until ``pid`` ends: (its ProcInfo, seconds); (None, seconds) when the person detached (Ctrl-Z)."""
    if tty:
        view = Foreground(channel, pid, say, suspend="" if remote else None)
        out = await view.run()
        if out.stopped:
            say(f"llmos: detached from pid {pid}; it keeps running (`llmos attach {pid}` follows it again)")
        return out.info, out.seconds
    t0 = time.monotonic()
    tracker = person.Follow(channel, pid)

    async def tell(p: person.Pending) -> None:
        if remote:
            say(f"llmos: waiting for you: [{p.id}] {p.title()} — answer with {p.how()}")
            return
        say(f"llmos: [{p.id}] {p.title()} — refused: {NOBODY} (`llmos boot` first, then `llmos run` "
            "to answer from `llmos approvals`)")
        try:
            await channel.deny(p.id, NOBODY)  # a question is declined, an approval or confirmation denied
        except KernelError:
            pass

    async with anyio.create_task_group() as tg:
        tg.start_soon(person.pump, channel, tracker, tell)
        info = await channel.wait(pid)
        tg.cancel_scope.cancel()
    return info, time.monotonic() - t0
