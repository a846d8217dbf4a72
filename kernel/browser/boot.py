"""Boot step "browser": one BrowserDriver per kernel; Chromium itself starts on the first browser call.

The driver is cheap to build (no process starts here).  ``runner.releasers`` already calls
``k.browser.release(pid)`` when a process exits or is killed, which closes its pages and destroys
its context.  Where no Chromium can start, the first ``browser.*`` call fails with the driver's
one ``unavailable`` error, which names ``scripts/setup-chromium.sh``.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio

from drivers.browser import BrowserDriver, find_chromium

if TYPE_CHECKING:
    from kernel.kernel import Kernel

CLOSE_TIMEOUT = 15.0  # seconds to close every context and stop Chromium at shutdown
MIN_TOKENS, MAX_TOKENS = 256, 1500  # bounds on one snapshot in a process's context


def snapshot_tokens(k: Kernel) -> int:
    """A snapshot may take at most half of one process's share of the context window: of the smallest
    window any engine gives, as one browser serves the processes of every engine."""
    share = min(core.share for core in k.engines)
    return max(MIN_TOKENS, min(MAX_TOKENS, share // 2))


def token_counter(k: Kernel) -> Callable[[str], int]:
    """Snapshots are measured with the default engine's tokenizer (one browser for all engines; a
    different model's count differs by a few percent, well inside the half-window bound above)."""
    engine = k.engine

    def count(text: str) -> int:
        return len(engine.tokenize(text))

    return count


async def attach(k: Kernel, stack: contextlib.AsyncExitStack) -> None:
    driver = BrowserDriver(count_tokens=token_counter(k), max_tokens=snapshot_tokens(k), max_chars=8000)
    k.browser = driver

    async def close() -> None:  # runs while the kernel's task group is being cancelled: shield it
        with anyio.CancelScope(shield=True), anyio.move_on_after(CLOSE_TIMEOUT):
            await driver.close()

    stack.push_async_callback(close)
    if find_chromium() is None:  # say so at boot; the calls themselves give the same reason
        k.events.emit("kernel.subsystem.note", name="browser",
                      note="no Chromium found: browser.* calls will answer 'unavailable' "
                           "(run scripts/setup-chromium.sh or set LLMOS_CHROMIUM)")
