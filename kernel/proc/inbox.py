"""A bounded message queue per process, for ``proc.send`` and ``proc.recv``."""
from __future__ import annotations

import collections
from typing import Any

import anyio

from syscalls.errors import Busy

CAPACITY = 64


class Inbox:
    def __init__(self, capacity: int = CAPACITY):
        self.capacity = capacity
        self._items: collections.deque[tuple[int, Any]] = collections.deque()
        self._ready = anyio.Event()

    def put(self, sender: int, message: Any) -> None:
        if len(self._items) >= self.capacity:
            raise Busy(f"the receiver's queue is full ({self.capacity} messages); try again after it reads",
                       retryable=True)
        self._items.append((sender, message))
        self._ready.set()

    async def get(self) -> tuple[int, Any]:
        while not self._items:
            self._ready = anyio.Event()
            await self._ready.wait()
        return self._items.popleft()

    def __len__(self) -> int:
        return len(self._items)
