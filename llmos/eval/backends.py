"""Where eval runs an app: an in-process kernel (as ``llmos run`` without a daemon) or the kernel daemon."""
from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import anyio

from .outcome import Run

OnSpawn = Callable[[int], Awaitable[None]]  # told each pid the eval starts (``--approve`` answers for those)


class Backend(Protocol):
    """Runs one process of ``app`` on ``task`` to its end (or kills it after ``timeout`` s), with the
    memory of ``user`` (the kernel's user when "")."""

    name: str

    async def run(self, app: str, task: str, timeout: float, user: str = "") -> Run: ...

    async def forget_user(self, user: str) -> None:
        """Drop everything ``user`` has in memory (best effort: a kernel without memory has none)."""


class KernelBackend:
    """A kernel object in this process (``kernel.Kernel``, entered by the caller)."""

    def __init__(self, kernel, on_spawn: OnSpawn | None = None) -> None:
        self.k = kernel
        self.name = f"in-process kernel on {kernel.engine.name}"
        self.on_spawn = on_spawn

    async def run(self, app: str, task: str, timeout: float, user: str = "") -> Run:
        from syscalls.errors import SyscallError
        t0 = time.monotonic()
        try:
            pid = await self.k.spawn(app, task, user=user or None)
        except SyscallError as exc:
            return Run(exit_reason="spawn", error=str(exc))
        if self.on_spawn is not None:
            await self.on_spawn(pid)
        proc = self.k.ptable.get(pid)
        with anyio.move_on_after(timeout) as scope:
            await proc.done.wait()
        if scope.cancelled_caught:
            try:
                self.k.signal(pid, "KILL")
            except SyscallError:  # it ended just now
                pass
            with anyio.move_on_after(30):
                await proc.done.wait()
        return Run(exit_reason="timeout" if scope.cancelled_caught else proc.exit_reason,
                   result=proc.result, error=proc.error,
                   tokens_in=proc.usage.tokens_in + proc.usage.children_in,  # a task's cost is its children's too
                   tokens_out=proc.usage.tokens_out + proc.usage.children_out,
                   llm_seconds=round(proc.usage.llm_seconds, 3), wall_seconds=round(time.monotonic() - t0, 3))

    async def forget_user(self, user: str) -> None:
        memory = self.k.memory
        if memory is not None:
            with contextlib.suppress(Exception):  # the store refused: the items' users stay, apart from the person's
                await memory.run(memory.admin.drop_user, user)


class DaemonBackend:
    """The running kernel daemon, through the kernel API (``llmos.client.Client``)."""

    name = "kernel daemon"

    def __init__(self, client, on_spawn: OnSpawn | None = None) -> None:
        self.c = client
        self.on_spawn = on_spawn

    async def run(self, app: str, task: str, timeout: float, user: str = "") -> Run:
        from ..client import KernelError
        t0 = time.monotonic()
        try:
            pid = await self.c.spawn(app, task, user=user or None)
        except KernelError as exc:
            return Run(exit_reason="spawn", error=exc.message)
        if self.on_spawn is not None:
            await self.on_spawn(pid)
        timed_out = False
        try:
            info = await self.c.wait(pid, timeout)
        except KernelError as exc:
            if exc.code != "timeout":  # the daemon went away or refused: the system's failure
                return Run(exit_reason="killed", error=f"{exc.code}: {exc.message}",
                           wall_seconds=round(time.monotonic() - t0, 3))
            timed_out = True
            try:
                await self.c.kill(pid, "KILL")
                info = await self.c.wait(pid, 30)
            except KernelError as exc:
                return Run(exit_reason="timeout", error=exc.message, wall_seconds=round(time.monotonic() - t0, 3))
        error = ""
        if info.exit_reason != "exited":
            try:  # the error text travels in the process's exit event
                for ev in await self.c.logs(pid):
                    if ev.get("kind") == "proc.exit":
                        error = str(ev.get("error", ""))
            except KernelError:
                pass
        return Run(exit_reason="timeout" if timed_out else info.exit_reason, result=info.result, error=error,
                   tokens_in=info.tokens_in + info.children_tokens_in, tokens_out=info.tokens_out + info.children_tokens_out,
                   llm_seconds=round(info.cpu_time, 3),
                   wall_seconds=round(time.monotonic() - t0, 3))

    async def forget_user(self, user: str) -> None:
        from kernel.api import messages as m

        from ..client import KernelError
        with contextlib.suppress(KernelError):  # a daemon without memory has nothing of it
            await self.c.call(m.MemDropUser(user=user))
