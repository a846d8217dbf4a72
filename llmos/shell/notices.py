"""What the shell prints above the prompt: approvals and questions of processes not in the foreground."""
from __future__ import annotations

from collections.abc import Callable

from .. import approvals, person
from ..client import Client, KernelError, NotRunning
from ..textsafe import printable


def notice(ev: dict) -> str | None:
    """The notice for one kernel event, or None when it is not one the person must see."""
    kind = ev.get("kind", "")
    if kind == "approval.requested":
        return approvals.request_notice(ev)
    if kind == "question.asked":
        p = person.from_event(ev)
        if p is None:  # from_event reads every question.asked; None is for kinds it does not know
            return None
        how = f"`answer {p.id} TEXT`" if p.kind == "ask" else f"`approve {p.id}` (yes) or `deny {p.id}` (no)"
        return f"[question {p.id}] {p.title()}\n  {how}, or `attach {p.pid}`"
    if kind in ("approval.expired", "approval.cancelled", "question.expired", "question.cancelled"):
        what, how = kind.split(".", 1)
        return f"[{what} {printable(ev.get('approval') or ev.get('question') or '?')}] {how}"
    return None


async def watch(client: Client, say: Callable[[str], None], foreground: Callable[[], set[int]]) -> None:
    """Print every new approval request and question, except those the foreground view asks inline."""
    try:
        async for msg in client.subscribe(0):
            ev = getattr(msg, "event", None)
            if not ev or ev.get("pid") in foreground():
                continue
            text = notice(ev)
            if text:
                say(text)
    except (KernelError, NotRunning, OSError):
        return
