"""The person's channel to the processes they started: their questions, approvals, progress and end.

Whoever starts a process (a shell job, ``llmos run``, ``llmos attach``) follows it with a ``Follow``:
it sees every approval request and ``user.ask``/``user.confirm`` of the process and its children,
answers them through the same ``Channel``, and reads a status line (state, current syscall, tokens).
``RemoteChannel`` speaks to the daemon over the kernel API; ``LocalChannel`` to an in-process kernel.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio

from .approvals import render_approval
from .textsafe import clip, printable


class Channel(Protocol):
    """What a follower needs from a kernel, wherever it runs."""

    def events(self) -> contextlib.AbstractAsyncContextManager[AsyncIterator[dict]]: ...
    async def pending(self) -> list[Any]: ...  # ApprovalInfo-like: id, pid, call, reason, args, kind
    async def approve(self, aid: str) -> None: ...
    async def deny(self, aid: str, reason: str = "") -> None: ...
    async def answer(self, qid: str, text: str) -> None: ...
    async def rows(self) -> list[Any]: ...  # ProcInfo-like rows of live processes
    async def wait(self, pid: int) -> Any: ...
    async def kill(self, pid: int, signal: str) -> None: ...


@dataclass
class Pending:
    """One thing a process waits on its person for: an approval, a confirmation or a question."""

    id: str
    pid: int
    kind: str  # approval | confirm | ask
    call: str = ""
    reason: str = ""
    args: dict[str, str] = field(default_factory=dict)
    info: Any = None  # the kernel's ApprovalInfo, when fetched: every target argument whole

    @property
    def text(self) -> str:
        return self.reason if self.kind != "approval" else ""

    def title(self) -> str:
        """One line, safe to print: what is asked, and by whom."""
        if self.kind == "approval":
            args = ", ".join(f"{printable(k)}={v}" for k, v in self._shown().items())
            return f"pid {self.pid} wants {printable(self.call)}({args}): {printable(self.reason)}"
        return f"pid {self.pid} asks: {printable(self.reason, newlines=True)}"  # a question may have lines

    def _shown(self) -> dict[str, str]:
        """Each argument as one line shows it: targets whole; a payload (data, content ...) clipped,
        which ``details`` and ``llmos approvals show ID`` then give whole."""
        if self.info is None or not self.info.leaves:
            return {k: printable(v) for k, v in self.args.items()}
        bulk = set(self.info.bulk)
        return {k: clip(v, 60) if k in bulk else printable(v) for k, v in self.info.leaves.items()}

    def prompt(self) -> str:
        """What the inline y/n/d prompt shows above its question: the whole approval where known."""
        if self.kind == "approval" and self.info is not None:
            return render_approval(self.info, full=False, hint=False)
        return self.title()

    def details(self) -> str:
        """Every argument on its own line, escaped and uncut (as far as the kernel reported it)."""
        if self.info is not None:
            return render_approval(self.info, full=True, hint=False)
        lines = [f"approval {self.id}  pid {self.pid}  {printable(self.call)}", f"  reason: {printable(self.reason)}"]
        lines += [f"  {printable(k)} = {printable(v)}" for k, v in self.args.items()]
        return "\n".join(lines)

    def how(self) -> str:
        """How to answer it from another terminal."""
        if self.kind == "ask":
            return f"`llmos answer {self.id} TEXT` (or `llmos attach {self.pid}`)"
        return f"`llmos approve {self.id}` or `llmos deny {self.id}`"


def from_info(a: Any) -> Pending:
    return Pending(a.id, a.pid, a.kind, a.call, a.reason, dict(a.args), info=a if a.kind == "approval" else None)


def from_event(ev: dict) -> Pending | None:
    kind = ev.get("kind")
    if kind == "approval.requested":
        return Pending(ev.get("approval", "?"), ev.get("pid", 0), "approval", ev.get("syscall", "?"),
                       ev.get("reason", ""), dict(ev.get("args") or {}))
    if kind == "question.asked":
        return Pending(ev.get("question", "?"), ev.get("pid", 0), ev.get("ask", "ask"), f"user.{ev.get('ask')}",
                       ev.get("text", ""), {"question": ev.get("text", "")})
    return None


SETTLED = {"approval.approved", "approval.denied", "approval.expired", "approval.cancelled",
           "question.answered", "question.declined", "question.expired", "question.cancelled"}


def settled_id(ev: dict) -> str | None:
    if ev.get("kind") in SETTLED:
        return ev.get("approval") or ev.get("question")
    return None


class Follow:
    """Follow one process tree: ``pids`` grows as it spawns children; ``pending`` is what waits on the person."""

    def __init__(self, channel: Channel, pid: int):
        self.channel, self.pid = channel, pid
        self.pids = {pid}
        self.pending: dict[str, Pending] = {}
        self.started = time.monotonic()
        self.tokens = 0
        self.state, self.current = "NEW", ""

    def mine(self, ev: dict) -> bool:
        if ev.get("kind") == "proc.spawn" and ev.get("ppid") in self.pids:
            self.pids.add(ev.get("pid", 0))
        return ev.get("pid") in self.pids

    def note(self, ev: dict, info: Any = None) -> Pending | None:
        """Take one kernel event; a new Pending when it asks the person something (``info``: the
        kernel's whole ApprovalInfo for an approval, when the caller fetched it)."""
        if not self.mine(ev):
            return None
        gone = settled_id(ev)
        if gone:
            self.pending.pop(gone, None)
            return None
        p = from_event(ev)
        if p is not None and info is not None:
            p.info = info
        if p is not None and p.id not in self.pending:
            self.pending[p.id] = p
            return p
        return None

    async def catch_up(self) -> list[Pending]:
        """What was already waiting before we subscribed (``llmos attach`` to a process that asked earlier)."""
        rows = await self.channel.rows()
        for r in sorted(rows, key=lambda r: r.pid):
            if r.ppid in self.pids:
                self.pids.add(r.pid)
        new = []
        for a in await self.channel.pending():
            if a.pid in self.pids and a.id not in self.pending:
                self.pending[a.id] = from_info(a)
                new.append(self.pending[a.id])
        return new

    async def refresh(self) -> None:
        """The status line's numbers: the tree's state, current syscall and tokens."""
        rows = {r.pid: r for r in await self.channel.rows() if r.pid in self.pids}
        me = rows.get(self.pid)
        if me is not None:
            self.state, self.current = me.state, me.current
        self.tokens = sum(r.tokens_in + r.tokens_out for r in rows.values())

    def status(self) -> str:
        secs = time.monotonic() - self.started
        now = f" · {printable(self.current)}" if self.current else ""
        waiting = f" · {len(self.pending)} waiting for you" if self.pending else ""
        return f"pid {self.pid} · {self.state}{now} · {self.tokens} tok · {secs:.1f}s{waiting}"

    async def decide(self, p: Pending, answer: str) -> str:
        """Send the person's answer (y/n for approvals and confirmations, text for a question)."""
        yes = answer.strip().lower() in ("y", "yes")
        if p.kind == "ask":
            await self.channel.answer(p.id, answer)
            said = "answered"
        elif yes:
            await self.channel.approve(p.id)
            said = "approved"
        else:
            await self.channel.deny(p.id, "denied by the person")
            said = "denied"
        self.pending.pop(p.id, None)
        return f"{said} {p.id}"


def footer(seconds: float) -> str:
    """pgcli's habit: how long the whole thing took."""
    return f"time: {seconds:.3f}s"


async def pump(channel: Channel, follow: Follow, on_new: Any, on_event: Any = None) -> None:
    """Feed ``follow`` the kernel's events until cancelled; ``on_new(pending)`` for each new question."""
    async with channel.events() as events:
        for caught in await follow.catch_up():
            await on_new(caught)
        async for ev in events:
            info = None
            if ev.get("kind") == "approval.requested" and ev.get("pid") in follow.pids:
                with contextlib.suppress(Exception):  # the event carries a summary; the prompt shows targets whole
                    info = next((a for a in await channel.pending() if a.id == ev.get("approval")), None)
            p = follow.note(ev, info)
            if on_event is not None and follow.mine(ev):
                on_event(ev)
            if p is not None:
                await on_new(p)


async def ticker(follow: Follow, every: float = 0.5) -> None:
    while True:
        with contextlib.suppress(Exception):
            await follow.refresh()
        await anyio.sleep(every)
