"""The ``user`` syscalls: questions to the person at the shell, and notifications."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.proc.process import Process
from syscalls import Empty, user
from syscalls.errors import Unavailable

if TYPE_CHECKING:
    from kernel.kernel import Kernel


async def _ask(k: "Kernel", proc: Process, kind: str, text: str) -> str:
    if k.person is None:
        raise Unavailable("no person is attached to this kernel to answer")
    proc.block()
    try:
        return await k.person(proc, kind, text)
    finally:
        proc.unblock()


async def ask(k: "Kernel", proc: Process, req: user.Ask) -> user.Answer:
    return user.Answer(text=await _ask(k, proc, "ask", req.question))


async def confirm(k: "Kernel", proc: Process, req: user.Confirm) -> user.Confirmed:
    answer = await _ask(k, proc, "confirm", req.question)
    return user.Confirmed(yes=answer.strip().lower() in ("y", "yes", "true", "approve", "ok"))


async def notify(k: "Kernel", proc: Process, req: user.Notify) -> Empty:
    k.events.emit("user.notify", proc.pid, text=req.text[:2000])
    return Empty()
