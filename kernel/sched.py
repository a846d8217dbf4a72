"""The scheduler: LLM sequence slots are the cores; policies decide who gets the next one."""
from __future__ import annotations

import itertools
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable

import anyio

from .proc import Process, State

POLICIES = ("fifo", "rr", "priority", "fair")


class _Waiter:
    __slots__ = ("proc", "seq", "event", "granted")

    def __init__(self, proc: Process, seq: int):
        self.proc, self.seq, self.event, self.granted = proc, seq, anyio.Event(), False


class Scheduler:
    """Hands ``n_slots`` slots to processes.

    - ``fifo``: first come, first served; a slot is kept until the request ends.
    - ``rr``: arrival order, but a process that used ``quantum`` tokens yields when others wait.
    - ``priority``: lowest priority number first (Unix style: 0 is the most urgent); a waiting
      process with a better priority preempts a running one after its quantum.
    - ``fair``: least tokens consumed first, with the quantum.
    """

    def __init__(self, n_slots: int, policy: str = "fair", quantum: int = 64,
                 on_grant: Callable[[Process], None] | None = None):
        if policy not in POLICIES:
            raise ValueError(f"unknown scheduler policy {policy!r}; choose one of {', '.join(POLICIES)}")
        self.n_slots, self.policy, self.quantum = n_slots, policy, quantum
        self.running: dict[int, int] = {}  # pid -> tokens in the current quantum
        self._queue: list[_Waiter] = []
        self._seq = itertools.count()
        self.on_grant = on_grant
        self.grants: list[int] = []  # pids in grant order (bounded), for tests and stats
        self.preemptions = 0

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def busy(self) -> int:
        return len(self.running)

    def _key(self, w: _Waiter):
        p = w.proc
        if self.policy == "priority":
            return (p.priority, w.seq)
        if self.policy == "fair":
            return (p.usage.tokens, w.seq)
        return (w.seq,)

    def _dispatch(self) -> None:
        while self._queue and len(self.running) < self.n_slots:
            w = min(self._queue, key=self._key)
            self._queue.remove(w)
            w.granted = True
            self.running[w.proc.pid] = 0
            self.grants.append(w.proc.pid)
            if len(self.grants) > 10000:
                del self.grants[:5000]
            w.event.set()

    @asynccontextmanager
    async def slot(self, proc: Process) -> AsyncIterator[None]:
        """Hold an LLM slot for the body; READY while waiting, RUNNING inside."""
        w = _Waiter(proc, next(self._seq))
        self._queue.append(w)
        proc.set_state(State.READY)
        self._dispatch()
        try:
            await w.event.wait()
        except BaseException:
            if w in self._queue:
                self._queue.remove(w)
            if w.granted:
                self.running.pop(proc.pid, None)
                self._dispatch()
            raise
        proc.set_state(State.RUNNING)
        if self.on_grant:
            self.on_grant(proc)
        try:
            yield
        finally:
            self.running.pop(proc.pid, None)
            if proc.state == State.RUNNING:
                proc.set_state(State.WAITING)
            self._dispatch()

    def tick(self, proc: Process, tokens: int = 1) -> bool:
        """Count tokens for a running process; True when it should yield its slot now."""
        if proc.pid not in self.running:
            return False
        used = self.running[proc.pid] = self.running[proc.pid] + tokens
        if self.policy == "fifo" or not self._queue:
            return False
        if self.policy == "priority":
            best = min(w.proc.priority for w in self._queue)
            urgent = best < proc.priority  # a more urgent process waits: yield at once
            if not urgent and (best > proc.priority or used < self.quantum):
                return False
        elif used < self.quantum:
            return False
        self.preemptions += 1
        return True
