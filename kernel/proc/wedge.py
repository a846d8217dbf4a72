"""Blocking calls that may never return run on daemon threads: abandoned, they cannot hold the process at exit."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

import anyio
import anyio.from_thread
import anyio.lowlevel

T = TypeVar("T")


async def run_abandonable(fn: Callable[[], T], *, name: str = "llmos-blocking") -> T:
    """``fn()`` on a fresh daemon thread; cancelling the caller abandons the call.

    ``anyio.to_thread.run_sync(..., abandon_on_cancel=True)`` abandons too, but on a worker thread
    that the interpreter joins at exit: one call wedged for good (chromadb after a full disk) then
    keeps the daemon, ``llmos run`` or a test session from ever exiting."""
    token = anyio.lowlevel.current_token()
    done = anyio.Event()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, who re-raises it
            box["error"] = exc
        try:
            anyio.from_thread.run_sync(done.set, token=token)
        except Exception:  # noqa: BLE001, S110 - the event loop has ended: nobody waits any more
            pass

    threading.Thread(target=target, name=name, daemon=True).start()
    await done.wait()
    if "error" in box:
        raise box["error"]
    return cast(T, box["value"])
