"""The two ways a person reaches a kernel: the daemon's API (``RemoteChannel``) or an in-process kernel."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import anyio

from kernel.api import handlers
from kernel.api import messages as m

from .client import Client


class RemoteChannel:
    """A ``person.Channel`` over the kernel API."""

    def __init__(self, client: Client):
        self.client = client

    @contextlib.asynccontextmanager
    async def events(self) -> AsyncIterator[AsyncIterator[dict]]:
        stream = self.client.subscribe(0)
        await stream.__anext__()  # subscribed: nothing that happens from here on is missed

        async def only_events() -> AsyncIterator[dict]:
            async for msg in stream:
                if isinstance(msg, m.Event):
                    yield msg.event
        try:
            yield only_events()
        finally:
            with anyio.CancelScope(shield=True):
                await stream.aclose()

    async def pending(self) -> list[Any]:
        return await self.client.approvals()

    async def approve(self, aid: str) -> None:
        await self.client.approve(aid)

    async def deny(self, aid: str, reason: str = "") -> None:
        await self.client.deny(aid, reason)

    async def answer(self, qid: str, text: str) -> None:
        await self.client.answer(qid, text)

    async def rows(self) -> list[Any]:
        return await self.client.ps()

    async def wait(self, pid: int) -> Any:
        return await self.client.wait(pid)

    async def kill(self, pid: int, signal: str) -> None:
        await self.client.kill(pid, signal)


class LocalChannel:
    """A ``person.Channel`` on a kernel running in this process (``llmos run`` without a daemon)."""

    def __init__(self, kernel: Any):
        self.k = kernel

    @contextlib.asynccontextmanager
    async def events(self) -> AsyncIterator[AsyncIterator[dict]]:
        send, receive = anyio.create_memory_object_stream[dict](max_buffer_size=1000)

        def on_event(ev: dict) -> None:
            with contextlib.suppress(anyio.WouldBlock):
                send.send_nowait(dict(ev))
        unsubscribe = self.k.events.subscribe(on_event)
        try:
            yield receive
        finally:
            unsubscribe()
            send.close()

    async def pending(self) -> list[Any]:
        return await handlers.approvals(self.k, m.Approvals())

    async def approve(self, aid: str) -> None:
        await handlers.approve(self.k, m.Approve(approval=aid))

    async def deny(self, aid: str, reason: str = "") -> None:
        await handlers.deny(self.k, m.Deny(approval=aid, reason=reason))

    async def answer(self, qid: str, text: str) -> None:
        await handlers.answer(self.k, m.Answer(question=qid, text=text))

    async def rows(self) -> list[Any]:
        return await handlers.ps(self.k, m.Ps())

    async def wait(self, pid: int) -> Any:
        return self.k.info(await self.k.wait(pid))

    async def kill(self, pid: int, signal: str) -> None:
        self.k.signal(pid, signal)
