"""Approvals in an in-process ``llmos run``: ask on the terminal, or say that nobody can approve here."""
from __future__ import annotations

import sys
from typing import Any

import anyio

from kernel.api.handlers import approval_info

from .approvals import render_approval, request_notice


async def serve(k: Any, *, interactive: bool | None = None) -> None:
    """Until cancelled: show each approval request of kernel ``k`` and, on a terminal, ask y/N."""
    interactive = sys.stdin.isatty() if interactive is None else interactive
    send, receive = anyio.create_memory_object_stream[dict](max_buffer_size=100)

    def on_event(ev: dict) -> None:
        if ev.get("kind") == "approval.requested":
            send.send_nowait(dict(ev))
    unsubscribe = k.events.subscribe(on_event)
    book = getattr(k.rules, "book", None)
    for a in book.pending() if book is not None else ():  # raised before we subscribed
        send.send_nowait({"kind": "approval.requested", "pid": a.pid, "approval": a.id, "syscall": a.name,
                          "reason": a.reason, "args": dict(a.args_summary)})
    try:
        async for ev in receive:
            print(_notice(book, ev), file=sys.stderr, flush=True)
            if not interactive or book is None:
                print("llmos: nobody can approve it in this in-process run; it is denied when it expires "
                      "(`llmos boot`, then `llmos run`, to approve from the shell or `llmos approve`)",
                      file=sys.stderr, flush=True)
                continue
            answer = await anyio.to_thread.run_sync(input, "approve? [y/N] ", abandon_on_cancel=True)
            try:
                if answer.strip().lower() in ("y", "yes"):
                    book.approve(ev["approval"])
                else:
                    book.deny(ev["approval"], "denied at the terminal")
            except KeyError:
                print("llmos: that approval is gone (expired or its process ended)", file=sys.stderr)
    finally:
        unsubscribe()


def _notice(book: Any, ev: dict) -> str:
    """The approval with every argument whole (no `llmos approvals show` reaches an in-process
    kernel), or a short safe line if it is already gone."""
    approval = book.get(ev.get("approval", "")) if book is not None else None
    if approval is None:
        return request_notice(ev).splitlines()[0]
    return render_approval(approval_info(approval, full=True), full=True, hint=False)
