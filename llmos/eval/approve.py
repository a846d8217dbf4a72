"""``llmos eval --approve``: say yes to the approvals and confirmations of the eval's own processes, as their person would."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import anyio

from kernel.api.handlers import ApiError

from ..client import KernelError
from ..person import Channel, Pending, from_event, from_info

SWEEP_SECONDS = 2.0


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
        await self.catch_up()

    async def catch_up(self) -> None:
        """Answer what the adopted processes wait on now, events or not."""
        try:
            waiting = await self.channel.pending()
            if any(info.pid not in self.pids for info in waiting):  # a child whose spawn event was lost?
                self.adopt_children(await self.channel.rows())
        except (ApiError, KernelError):  # the kernel went away: the run itself will say so
            return
        for info in waiting:
            if info.pid in self.pids:
                await self._yes(from_info(info))

    def adopt_children(self, rows: list[Any]) -> None:
        """Add the descendants of adopted processes among ``rows`` (``ps``: pid and ppid)."""
        grew = True
        while grew:
            grew = False
            for r in rows:
                if r.ppid in self.pids and r.pid not in self.pids:
                    self.pids.add(r.pid)
                    grew = True

    async def sweep(self) -> None:
        """A backstop for the event feed, which drops events rather than slow the kernel when its
        buffer is full: a request whose event was lost is answered within ``SWEEP_SECONDS``."""
        while True:
            await anyio.sleep(SWEEP_SECONDS)
            await self.catch_up()

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
        tg.start_soon(approver.sweep)
        try:
            yield approver
        finally:
            tg.cancel_scope.cancel()
