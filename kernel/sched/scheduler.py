"""The scheduler: LLM sequence slots are the cores; policies decide who gets the next one."""
from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import anyio

from kernel.proc.process import Process, State
from kernel.sched.deadline import queued

POLICIES = ("fifo", "rr", "priority", "fair", "plas")


class _Waiter:
    __slots__ = ("bypassed", "event", "granted", "proc", "seq", "since")

    def __init__(self, proc: Process, seq: int):
        self.proc, self.seq, self.event, self.granted = proc, seq, anyio.Event(), False
        self.since = time.monotonic()
        self.bypassed = 0  # grants made to calls that asked later while this one waited (plas aging)


class Scheduler:
    """Hands ``n_slots`` slots to processes.

    - ``fifo``: first come, first served; a slot is kept until the request ends.
    - ``rr``: arrival order, but a process that used ``quantum`` tokens yields when others wait.
    - ``priority``: lowest priority number first (Unix style: 0 is the most urgent); a waiting
      process with a better priority preempts a running one after its quantum.
    - ``fair``: least tokens consumed first, with the quantum.  A process's count starts at the
      least count among those competing when it first asks, so a newcomer cannot starve the rest.
    - ``plas``: program-level attained service (Autellix): the process that has had the least model
      time (``llm_seconds``) over its whole life goes first, so short agent programs are not stuck
      behind long ones; a call is never preempted (its KV stays put).  Anti-starvation: a call that
      has waited ``age_s`` seconds, or that ``max_bypass`` later calls have overtaken, is *aged*, and
      aged calls are served first in arrival order, so no call is overtaken more than ``max_bypass``
      times.

    Priority inheritance: while a process waits for its children (``proc.wait``), each child
    runs with the better of its own priority and the one lent by the waiter (``lend``).
    """

    def __init__(self, n_slots: int, policy: str = "fair", quantum: int = 64,
                 on_grant: Callable[[Process], None] | None = None, *, age_s: float = 30.0, max_bypass: int = 64):
        if policy not in POLICIES:
            raise ValueError(f"unknown scheduler policy {policy!r}; choose one of {', '.join(POLICIES)}")
        if age_s <= 0 or max_bypass < 1:
            raise ValueError("scheduler aging needs age_s > 0 and max_bypass >= 1")
        self.n_slots, self.policy, self.quantum = n_slots, policy, quantum
        self.age_s, self.max_bypass = age_s, max_bypass
        self.max_bypassed = 0  # the most times any call was overtaken (plas keeps it <= max_bypass)
        self.running: dict[int, int] = {}  # pid -> tokens in the current quantum
        self._queue: list[_Waiter] = []
        self._seq = itertools.count()
        self.on_grant = on_grant
        self.grants: list[int] = []  # pids in grant order (bounded), for tests and stats
        self.preemptions = 0
        self._lent: dict[int, list[int]] = {}  # pid -> priorities lent to it by waiting processes
        self._base: dict[int, int] = {}  # pid -> fair-share token count it started from
        self._procs: dict[int, Process] = {}  # pid -> process, for those holding a slot

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def busy(self) -> int:
        return len(self.running)

    def priority(self, proc: Process) -> int:
        """The priority the scheduler uses: the process's own, or a better one lent to it."""
        lent = self._lent.get(proc.pid)
        return min(proc.priority, *lent) if lent else proc.priority

    @contextmanager
    def lend(self, waiter: Process, children: list[Process], prio: int | None = None) -> Iterator[None]:
        """While ``waiter`` waits on ``children``, they inherit its (effective) priority; ``prio`` is that
        priority when another scheduler (the waiter's engine's) knows it."""
        prio = self.priority(waiter) if prio is None else prio
        pids = [c.pid for c in children]
        for pid in pids:
            self._lent.setdefault(pid, []).append(prio)
        try:
            yield
        finally:
            for pid in pids:
                lent = self._lent.get(pid)
                if lent:
                    lent.remove(prio)
                    if not lent:
                        del self._lent[pid]

    def share(self, proc: Process) -> int:
        """Fair-share usage: tokens consumed, counted from where the process joined the competition."""
        return self._base.get(proc.pid, 0) + proc.usage.tokens

    def forget(self, pid: int) -> None:
        """Drop what the scheduler keeps about an ended process."""
        self._base.pop(pid, None)
        self._lent.pop(pid, None)

    def _key(self, w: _Waiter) -> tuple[int, ...]:
        p = w.proc
        if self.policy == "priority":
            return (self.priority(p), w.seq)
        if self.policy == "fair":
            return (self.share(p), w.seq)
        return (w.seq,)

    def _plas_pick(self, ready: list[_Waiter]) -> _Waiter:
        now = time.monotonic()
        aged = [w for w in ready if w.bypassed >= self.max_bypass or now - w.since >= self.age_s]
        if aged:
            return min(aged, key=lambda w: w.seq)
        # an app's priority (with what a waiting parent lends) still comes first; within a priority, the
        # program that has had the least model time goes first
        return min(ready, key=lambda w: (self.priority(w.proc), w.proc.usage.llm_seconds, w.seq))

    def _dispatch(self) -> None:
        while len(self.running) < self.n_slots:
            ready = [w for w in self._queue if not w.proc.stop_requested]  # a stopped process gets no slot
            if not ready:
                return
            w = self._plas_pick(ready) if self.policy == "plas" else min(ready, key=self._key)
            for other in ready:  # count overtakes: ``w`` asked later than ``other`` but goes first
                if other.seq < w.seq:
                    other.bypassed += 1
                    self.max_bypassed = max(self.max_bypassed, other.bypassed)
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
        if len(self._base) > 4096:  # ended processes' entries (kept live ones restart from the pack)
            keep = {x.proc.pid for x in self._queue} | set(self._procs)
            self._base = {pid: b for pid, b in self._base.items() if pid in keep}
        if self.policy == "fair" and proc.pid not in self._base:
            rivals = [self.share(x.proc) for x in self._queue] + [self.share(r) for r in self._procs.values()]
            self._base[proc.pid] = max(0, min(rivals, default=0) - proc.usage.tokens)
        self._queue.append(w)
        proc.set_state(State.READY)
        self._dispatch()
        try:
            with queued(proc):  # READY time: the syscall's time limit stands still
                await w.event.wait()
        except BaseException:
            if w in self._queue:
                self._queue.remove(w)
            if w.granted:
                self.running.pop(proc.pid, None)
                self._dispatch()
            raise
        self._procs[proc.pid] = proc
        proc.set_state(State.RUNNING)
        if self.on_grant:
            self.on_grant(proc)
        try:
            yield
        finally:
            self.running.pop(proc.pid, None)
            self._procs.pop(proc.pid, None)
            if proc.state == State.RUNNING:
                proc.set_state(State.WAITING)
            self._dispatch()

    def wake(self) -> None:
        """Hand out free slots again (a waiting process was continued)."""
        self._dispatch()

    def tick(self, proc: Process, tokens: int = 1) -> bool:
        """Count tokens for a running process; True when it should yield its slot now."""
        if proc.pid not in self.running:
            return False
        used = self.running[proc.pid] = self.running[proc.pid] + tokens
        if self.policy in ("fifo", "plas") or not self._queue:  # the per-token common case: nobody waits
            return False
        ready = [w for w in self._queue if not w.proc.stop_requested]  # stopped waiters cannot take it
        if not ready:
            return False
        if self.policy == "priority":
            mine = self.priority(proc)
            best = min(self.priority(w.proc) for w in ready)
            urgent = best < mine  # a more urgent process waits: yield at once
            if not urgent and (best > mine or used < self.quantum):
                return False
        elif used < self.quantum:
            return False
        self.preemptions += 1
        return True
