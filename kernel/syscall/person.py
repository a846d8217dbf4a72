"""The person's desk: ``user.ask``/``user.confirm`` questions wait here until whoever started the process answers.

A process's person is whoever started it (a shell job, ``llmos run``, ``llmos attach``): that client
follows the process's events and answers its questions through the kernel API (``answer``,
``approve``/``deny`` for a confirmation).  A question nobody is following waits in
``llmos approvals`` like an approval does, and expires after ``approval_ttl`` seconds, the same
bound approvals have.  The time a process spends waiting here does not count against its
``wall_seconds`` budget (kernel/proc/process.py pauses its wall clock while it is BLOCKED).
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
import msgspec

from syscalls.errors import ApprovalDenied, Unavailable

if TYPE_CHECKING:
    import contextlib

    from kernel.kernel import Kernel

_ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # as approval ids: easy to type back
YES = ("y", "yes", "true", "approve", "ok")


class Question(msgspec.Struct, kw_only=True):
    id: str
    pid: int
    app: str
    kind: str  # "ask" (free text) | "confirm" (yes or no)
    text: str
    created: float
    expires: float
    state: str = "pending"  # pending | answered | declined | expired | cancelled
    answer: str = ""


class PersonDesk:
    """Pending questions from processes to their person; call it from the kernel's event loop."""

    def __init__(self, emit: Callable[..., Any], *, ttl: float = 300.0, clock: Callable[[], float] = time.time):
        self.emit, self.ttl, self.clock = emit, ttl, clock
        self._items: dict[str, Question] = {}
        self._events: dict[str, anyio.Event] = {}

    def _new_id(self) -> str:
        while True:
            qid = "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))
            if qid not in self._items:
                return qid

    def pending(self) -> list[Question]:
        return sorted((q for q in self._items.values() if q.state == "pending"), key=lambda q: q.created)

    def get(self, qid: str) -> Question | None:
        q = self._items.get(qid)
        return q if q is not None and q.state == "pending" else None

    def _settle(self, q: Question, state: str, answer: str = "") -> None:
        q.state, q.answer = state, answer
        self.emit("question." + state, q.pid, question=q.id)
        event = self._events.pop(q.id, None)
        if event is not None:
            event.set()

    def answer(self, qid: str, text: str) -> Question:
        """The person answered; KeyError when no such question is pending."""
        q = self.get(qid)
        if q is None:
            raise KeyError(qid)
        self._settle(q, "answered", text)
        return q

    def decline(self, qid: str, reason: str = "") -> Question:
        """The person said no (``deny ID``): a confirmation is answered no, a question is refused."""
        q = self.get(qid)
        if q is None:
            raise KeyError(qid)
        self._settle(q, "declined", reason)
        return q

    def cancel_for(self, pid: int) -> None:
        for q in list(self._items.values()):
            if q.pid == pid and q.state == "pending":
                self._settle(q, "cancelled")

    async def ask(self, proc: Any, kind: str, text: str) -> str:
        """The kernel's ``person``: open a question for ``proc`` and wait for its answer."""
        now = self.clock()
        self._items = {k: q for k, q in self._items.items() if q.state == "pending"}  # settled ones are gone
        q = Question(id=self._new_id(), pid=proc.pid, app=proc.app, kind=kind, text=text, created=now,
                     expires=now + self.ttl)
        self._items[q.id] = q
        event = self._events[q.id] = anyio.Event()
        self.emit("question.asked", proc.pid, question=q.id, ask=kind, text=text[:4000], expires=q.expires)
        finished = False
        try:
            with anyio.move_on_after(max(0.0, q.expires - self.clock())):
                await event.wait()
            finished = True
        finally:
            if q.state == "pending":  # it timed out, or the process was cancelled (TERM, KILL) while waiting
                self._settle(q, "expired" if finished else "cancelled")
        if q.state in ("expired", "cancelled"):
            raise Unavailable(f"nobody answered within {int(self.ttl)} s "
                              "(`llmos approvals` lists waiting questions; `llmos attach PID` answers them)")
        if q.state == "declined":
            if kind == "confirm":
                return "no"
            raise ApprovalDenied("the person declined to answer" + (f": {q.answer}" if q.answer else ""))
        return q.answer


async def attach(k: Kernel, stack: contextlib.AsyncExitStack) -> None:
    """Boot step: questions go to the desk unless the kernel was given a person of its own (tests)."""
    desk = PersonDesk(k.events.emit, ttl=k.config.approval_ttl)
    k.desk = desk
    if k.person is None:
        k.person = desk.ask

    async def on_exit(proc: Any) -> None:
        desk.cancel_for(proc.pid)
    k.hooks.exit.append(on_exit)
