"""Approval requests for people: how one is shown (``render_approval``), and a watcher that announces new ones.

What a person approves is the exact call, so the display hides nothing that decides it: every
argument is on its own line, untrusted text goes through ``textsafe.printable`` (no escape
sequence can redraw the screen, no bidi override can reorder it), long runs of blanks are counted
instead of printed, lines are wrapped here (continuations start with ``…``) so a terminal's own
wrapping cannot forge a line, and only payload arguments (``data``, ``content`` ...) are ever
clipped, with the call's digest and ``llmos approvals show ID`` for the whole of them.
"""
from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from typing import Any

from rich.cells import cell_len, get_character_cell_size

from kernel.api.messages import ApprovalInfo

from .client import Client, KernelError, NotRunning
from .textsafe import printable

PREVIEW = 160  # chars of a payload argument in a short prompt
_BLANKS = re.compile(r"[^\S\n]{8,}")  # runs of spaces (and other Unicode blanks) that could push text away


def shown(value: object) -> str:
    """One argument value as an approval shows it: escaped, long runs of blanks counted."""
    return _BLANKS.sub(lambda mt: f"⟨{len(mt.group())} blanks⟩", printable(value))


def _split(text: str, cols: int) -> tuple[str, str]:
    """The longest head of ``text`` that fills at most ``cols`` terminal columns, and the rest."""
    used = 0
    for i, ch in enumerate(text):
        used += max(1, get_character_cell_size(ch))
        if used > cols:
            return text[:i], text[i:]
    return text, ""


def _wrap(first: str, text: str, width: int | None) -> list[str]:
    """``first + text`` in lines of at most ``width`` columns (wide characters count two), so the
    terminal never wraps one itself; continuations start with ``    … ``, which no argument line does."""
    line = first + text
    if not width or cell_len(line) <= width:
        return [line]
    head, rest = _split(line, width)
    lines = [head]
    while rest:
        head, rest = _split(rest, max(8, width - 6))
        lines.append("    … " + head)
    return lines


def _tainted(name: str, untrusted: list[str]) -> bool:
    return any(u == name or name.startswith(f"{u}.") or u.startswith(f"{name}.") for u in untrusted)


def render_approval(a: ApprovalInfo, *, full: bool, now: float | None = None, width: int | None = 0,
                    hint: bool = True) -> str:
    """What a person reads before answering approval ``a`` (several lines, safe to print).

    ``full=False`` (a prompt, a listing): every target argument (path, url, command, expression,
    amount, anything not a payload) whole; a payload longer than ``PREVIEW`` clipped, and then the
    digest and ``llmos approvals show ID`` are named.  ``full=True``: every argument whole (fetch
    the approval with ``Client.approval(id)`` so nothing was shortened on the way).  ``width``:
    wrap at that many columns (0: the terminal's width, None: no wrapping).  ``hint=False`` leaves
    out the closing "`approve ID` or `deny ID`" line (for a prompt that asks y/n itself).
    """
    if width == 0:
        width = max(40, shutil.get_terminal_size((100, 24)).columns)
    app = f" ({printable(a.app)})" if a.app else ""
    left = max(0, int(a.expires - (now or time.time()))) if a.expires else None
    tail = f"  (expires in {left} s)" if left is not None else ""
    if a.kind != "approval":  # a process's question to its person (user.ask / user.confirm)
        out = _wrap(f"question {printable(a.id)}: pid {a.pid}{app} asks: ", printable(a.reason, newlines=True), width)
        how = f"`answer {printable(a.id)} TEXT`" if a.kind == "ask" else \
            f"`approve {printable(a.id)}` (yes) or `deny {printable(a.id)}` (no)"
        return "\n".join(out + (_wrap("  ", how + tail, width) if hint else ([tail] if tail else [])))
    out = [*_wrap(f"approval {printable(a.id)}: pid {a.pid}{app} wants ", printable(a.call), width),
           *_wrap("  reason: ", printable(a.reason), width)]
    values = a.leaves or a.args  # an older kernel sends only the shortened summary
    hidden = not a.leaves and bool(a.args)
    bulk = set(a.bulk)
    for name, value in values.items():
        text = shown(value)
        cut = a.cut.get(name, 0)
        if not full and name in bulk and (len(text) > PREVIEW or cut):
            text, hidden = f"{text[:PREVIEW]}… (+{len(text) - min(PREVIEW, len(text)) + cut} chars)", True
        elif cut:
            text, hidden = f"{text}… (+{cut} chars not sent)", True
        mark = "  [untrusted]" if _tainted(name, a.untrusted) else ""
        out += _wrap(f"  {printable(name)} = ", text + mark, width)
    digest = f"digest {a.digest[:16]}" if a.digest else "digest unknown"
    if hidden:
        out += _wrap(f"  {digest}; ", f"every argument in full: llmos approvals show {printable(a.id)}", width)
    elif a.digest:
        out.append(f"  {digest}")
    if hint:
        out += _wrap("  ", f"`approve {printable(a.id)}` or `deny {printable(a.id)} [reason]`{tail}", width)
    elif tail:
        out.append(tail)
    return "\n".join(out)


def approval_line(a: Any, now: float | None = None) -> str:
    """A pending approval for a listing (``llmos approvals``, the shell's ``approvals``)."""
    return render_approval(a, full=False, now=now)


def request_notice(ev: dict) -> str:
    """The short notice when the approval itself cannot be fetched (it is gone, or no kernel answers)."""
    aid = printable(ev.get("approval", "?"))
    return (f"[approval {aid}] pid {ev.get('pid', 0)} wants {printable(ev.get('syscall', '?'))}: "
            f"{printable(ev.get('reason', ''))}\n  `llmos approvals show {aid}` shows it in full; "
            f"`approve {aid}` or `deny {aid} [reason]`")


async def watch(client: Client, say: Callable[[str], None]) -> None:
    """Print every new approval request (and how it ended) until the kernel goes away."""
    try:
        async for msg in client.subscribe(0):
            ev = getattr(msg, "event", None)
            if not ev:
                continue
            kind = ev.get("kind", "")
            if kind == "approval.requested":
                say(await _notice(client, ev))
            elif kind in ("approval.expired", "approval.cancelled"):
                say(f"[approval {printable(ev.get('approval', '?'))}] {kind.split('.', 1)[1]}")
    except (KernelError, NotRunning, OSError):
        return


async def _notice(client: Client, ev: dict) -> str:
    try:
        return render_approval(await client.approval(str(ev.get("approval", "")), full=False), full=False)
    except (KernelError, OSError):
        return request_notice(ev)
