"""The event-loop side of a threaded generation: tokens handed over from the decode thread without blocking it."""
from __future__ import annotations

import weakref
from collections import deque
from collections.abc import AsyncGenerator, Callable
from typing import Any

import anyio

from .base import EngineError, FinishReason, Generation, GenResult, Token


class Done:
    """End-of-stream marker carrying the result (and the error, for ``finish_reason == "error"``)."""

    __slots__ = ("error", "result")

    def __init__(self, result: GenResult, error: EngineError | None = None):
        self.result, self.error = result, error


Waker = Callable[[Callable[[Any], None], Any], None]


_wakers: weakref.WeakKeyDictionary[Any, Waker] = weakref.WeakKeyDictionary()


def current_waker() -> Waker:
    """A thread-safe ``schedule(fn, arg)`` onto the running event loop (asyncio or trio).

    One waker per loop, so the decode thread makes one hand-over per loop per step."""
    try:
        import sniffio  # present whenever trio is (trio depends on it); anyio may run without it
        library = sniffio.current_async_library()
    except Exception:  # noqa: BLE001 - no sniffio, or no loop it knows: anyio runs asyncio then
        library = "asyncio"
    if library == "trio":
        import trio

        token = trio.lowlevel.current_trio_token()

        def wake_trio(fn: Callable[[Any], None], arg: Any) -> None:
            try:
                token.run_sync_soon(fn, arg)
            except trio.RunFinishedError:
                pass
        return wake_trio

    import asyncio

    loop = asyncio.get_running_loop()
    waker = _wakers.get(loop)
    if waker is None:
        ref = weakref.ref(loop)  # the cache must not keep finished loops alive

        def wake_asyncio(fn: Callable[[Any], None], arg: Any) -> None:
            lp = ref()
            if lp is None:
                return
            try:
                lp.call_soon_threadsafe(fn, arg)
            except RuntimeError:  # the loop is closed; nobody is listening any more
                pass
        waker = _wakers[loop] = wake_asyncio
    return waker


def deliver(batch: list[tuple[ThreadedGeneration, Token | Done]]) -> None:
    """Runs on the event loop: hand a decode step's items to their generations."""
    for gen, item in batch:
        gen._push(item)


class ThreadedGeneration(Generation):
    """Iterate for tokens; ``cancel`` asks the decode thread to stop this sequence at its next step."""

    def __init__(self, on_cancel: Callable[[ThreadedGeneration, FinishReason], None], waker: Waker):
        self._on_cancel = on_cancel
        self.waker = waker
        self._items: deque[Token | Done] = deque()
        self._event: anyio.Event | None = None
        self._result: GenResult | None = None
        self.cancel_reason: FinishReason | None = None

    def cancel(self, reason: FinishReason = "cancelled") -> None:
        if self.cancel_reason is None and self._result is None:
            self.cancel_reason = reason
            self._on_cancel(self, reason)

    @property
    def done(self) -> bool:
        return self._result is not None

    def _push(self, item: Token | Done) -> None:
        self._items.append(item)
        if self._event is not None:
            self._event.set()

    async def __aiter__(self) -> AsyncGenerator[Token, None]:
        try:
            while True:
                while self._items:
                    item = self._items.popleft()
                    if isinstance(item, Done):
                        self._result = item.result
                        if item.error is not None:
                            raise item.error
                        return
                    yield item
                self._event = anyio.Event()
                await self._event.wait()
                self._event = None
        finally:
            if self._result is None:  # the consumer left early: stop decoding for it
                self.cancel()
