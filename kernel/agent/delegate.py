"""A word problem handed to another app: the agent loop starts it as a child process and takes its number."""
from __future__ import annotations

import anyio

from kernel.agent.steps import numeric
from syscalls import Sys
from syscalls.errors import ENDING, SyscallError

WAIT_SECONDS = 120.0  # longer than the solver takes on the embedded model (pal: 5-40 s a problem)


async def solved(sys: Sys, app: str, task: str, timeout: float | None = None) -> str | None:
    """The number ``app`` answers ``task`` with, or None when it cannot: it fails, answers something that is
    not one number, or runs past ``timeout`` (then it is stopped).  A budget, a TERM or a kill of this process
    still ends it, as any syscall's would, and stops the child first; every other failure leaves the task to
    the agent loop."""
    try:
        pid = await sys.proc.spawn(app, task)
    except SyscallError as exc:
        if exc.code in ENDING:
            raise
        return None
    waited = None
    try:
        waited = await sys.proc.wait(pid, timeout=timeout or WAIT_SECONDS)
    except SyscallError as exc:
        if exc.code in ENDING:
            raise
        return None
    finally:
        if waited is None:  # it ran too long, or this process is being stopped: the child goes too
            with anyio.CancelScope(shield=True):
                try:
                    await sys.proc.kill(pid, "KILL")
                except SyscallError:
                    pass  # it ended on its own meanwhile, or this process may no longer call
    if waited.exit_status != 0 or waited.state != "EXITED":
        return None
    return numeric(waited.result)
