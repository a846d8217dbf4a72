"""``llmos eval --approve``: say yes to the approvals and confirmations of the eval's own processes, as their person would."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import anyio

from kernel.api.handlers import ApiError

from ..client import KernelError
from ..person import Channel, Pending, from_event, from_info


class Approver:
    """Answers yes for the processes it was given (``adopt``) and their children, and for no other:
    a rules approval is approved, a ``user.confirm`` answered yes.  A free-text ``user.ask`` is left
    unanswered (there is no "yes" to give it); it expires as it would without ``--approve``."""

    def __init__(self, channel: Channel):
        self.channel = channel
        self.pids: set[int] = set()
        self.approved: list[dict[str, Any]] = []  # {"pid", "call"} of every yes given, in order
        self._seen: set[str] = set()

    async def adopt(self, pid: int) -> None:
        """A process the eval started: from now on its requests are answered, and any it already waits on."""
        self.pids.add(pid)
        try:
            waiting = await self.channel.pending()
        except (ApiError, KernelError):  # the kernel went away: the run itself will say so
            return
        for info in waiting:
            if info.pid in self.pids:
                await self._yes(from_info(info))

    async def _yes(self, p: Pending) -> None:
        if p.kind == "ask" or p.id in self._seen:
            return
        self._seen.add(p.id)
        try:
            await self.channel.approve(p.id)
        except (ApiError, KernelError):  # settled meanwhile: it expired, or its process ended
            return
        self.approved.append({"pid": p.pid, "call": p.call})

    async def follow(self, events: AsyncIterator[dict]) -> None:
        async for ev in events:
            if ev.get("kind") == "proc.spawn" and ev.get("ppid") in self.pids:
                self.pids.add(ev.get("pid", 0))
            p = from_event(ev)
            if p is not None and p.pid in self.pids:
                await self._yes(p)


@contextlib.asynccontextmanager
async def approving(channel: Channel) -> AsyncIterator[Approver]:
    """An ``Approver`` following the kernel's events for as long as the block runs."""
    approver = Approver(channel)
    async with channel.events() as events, anyio.create_task_group() as tg:
        tg.start_soon(approver.follow, events)
        try:
            yield approver
        finally:
            tg.cancel_scope.cancel()
