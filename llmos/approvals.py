"""Approval requests for people: one-line descriptions, and a watcher that announces new ones."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .client import Client, KernelError, NotRunning


def _args(args: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in (args or {}).items())


def approval_line(a: Any, now: float | None = None) -> str:
    """``ID  pid N (app)  call(args)  reason  [expires in S s]`` for one pending approval."""
    left = max(0, int((a.expires or 0) - (now or time.time()))) if getattr(a, "expires", 0) else None
    tail = f"  (expires in {left} s)" if left is not None else ""
    app = f" ({a.app})" if getattr(a, "app", "") else ""
    return f"{a.id}  pid {a.pid}{app}  {a.call}({_args(a.args)})  {a.reason}{tail}"


def request_notice(ev: dict) -> str:
    """What the shell prints above the prompt when a process starts waiting for approval."""
    aid = ev.get("approval", "?")
    return (f"[approval {aid}] pid {ev.get('pid', 0)} wants {ev.get('syscall', '?')}({_args(ev.get('args', {}))}): "
            f"{ev.get('reason', '')}\n  `approve {aid}` or `deny {aid} [reason]`")


async def watch(client: Client, say: Callable[[str], None]) -> None:
    """Print every new approval request (and how it ended) until the kernel goes away."""
    try:
        async for msg in client.subscribe(0):
            ev = getattr(msg, "event", None)
            if not ev:
                continue
            kind = ev.get("kind", "")
            if kind == "approval.requested":
                say(request_notice(ev))
            elif kind in ("approval.expired", "approval.cancelled"):
                say(f"[approval {ev.get('approval', '?')}] {kind.split('.', 1)[1]}")
    except (KernelError, NotRunning, OSError):
        return
