"""Retries with backoff for the syscalls that are safe to run again (they change nothing outside)."""
from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio

from drivers.errors import DriverError
from syscalls.errors import SyscallError

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.proc.process import Process

# Reads and generations: running one again after a failure cannot do anything twice.
SAFE = {"llm.chat", "llm.complete", "llm.json", "fs.read", "fs.list", "fs.stat", "mem.recall", "tool.list",
        "proc.ps", "browser.snapshot", "browser.extract", "browser.screenshot"}
ATTEMPTS = 3  # tries in all, for a safe call whose error says it is retryable
BASE_DELAY = 0.05  # seconds before the first retry; doubled each time, with jitter


async def call(k: Kernel, name: str, handler: Callable[..., Awaitable[Any]], proc: Process, req: Any) -> Any:
    """``handler(k, proc, req)``, tried again (up to ``ATTEMPTS``) when it is safe and the error is retryable.
    The whole loop runs inside the syscall's timeout, so retries never outlast it."""
    attempts = k.config.retries + 1 if name in SAFE else 1
    for attempt in range(1, attempts + 1):
        try:
            return await handler(k, proc, req)
        except (SyscallError, DriverError) as exc:
            if attempt >= attempts or not exc.retryable:
                raise
            delay = BASE_DELAY * 2 ** (attempt - 1) * (0.5 + random.random())
            k.events.emit("syscall.retry", proc.pid, call=name, attempt=attempt, error=exc.code,
                          message=str(exc)[:200], delay=round(delay, 3))
            await anyio.sleep(delay)
    raise AssertionError("unreachable")
