"""A process: one running instance of an app, and the states it moves through."""
from __future__ import annotations

import enum
import math
import re
import time
from collections.abc import Callable
from typing import Any

import anyio

from syscalls.proc import ProcInfo

USER_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,100}")  # whose memory a process uses; the kernel API's ``Who`` for callers in process


class State(str, enum.Enum):
    NEW = "NEW"
    READY = "READY"  # waiting for an LLM slot
    RUNNING = "RUNNING"  # holds an LLM slot
    WAITING = "WAITING"  # in a syscall (tool, file, child, ...)
    BLOCKED = "BLOCKED"  # waiting for a person's approval
    SLEEPING = "SLEEPING"
    STOPPED = "STOPPED"
    EXITED = "EXITED"
    KILLED = "KILLED"


LIVE = {State.NEW, State.READY, State.RUNNING, State.WAITING, State.BLOCKED, State.SLEEPING, State.STOPPED}
DEAD = {State.EXITED, State.KILLED}

_ALLOWED = {
    State.NEW: {State.READY, State.WAITING, State.RUNNING, State.STOPPED},
    State.READY: {State.RUNNING, State.WAITING, State.STOPPED},
    State.RUNNING: {State.READY, State.WAITING, State.STOPPED},
    State.WAITING: {State.READY, State.RUNNING, State.BLOCKED, State.SLEEPING, State.STOPPED},
    State.BLOCKED: {State.WAITING, State.STOPPED},
    State.SLEEPING: {State.WAITING, State.STOPPED},
    State.STOPPED: {State.READY, State.RUNNING, State.WAITING, State.BLOCKED, State.SLEEPING},
}


class Usage:
    """What a process has consumed; budgets are checked against it."""

    __slots__ = ("tokens_in", "tokens_out", "children_tokens", "children_in", "children_out", "steps", "syscalls",
                 "llm_seconds", "children", "sandbox_cpu_seconds", "person_seconds", "ready_seconds")

    def __init__(self) -> None:
        self.tokens_in = self.tokens_out = self.children_tokens = self.steps = self.syscalls = self.children = 0
        self.children_in = self.children_out = 0  # what ended children (and theirs) read and wrote, for the record
        self.llm_seconds = self.sandbox_cpu_seconds = 0.0
        self.person_seconds = 0.0  # time spent BLOCKED on a person (approvals, questions): not wall time
        self.ready_seconds = 0.0  # time spent READY: queued for an LLM slot (not charged to llm_seconds)

    @property
    def tokens(self) -> int:
        """Tokens charged to this process: its own, and what its children spent from its budget."""
        return self.tokens_in + self.tokens_out + self.children_tokens


class Process:
    """The kernel's record of a process (xv6's ``struct proc``)."""

    def __init__(self, pid: int, ppid: int, app: str, task: str, *, priority: int = 20,
                 permissions: Any = None, budgets: Any = None, workspace: Any = None,
                 lineage: tuple[tuple[str, Any], ...] = ()):
        self.pid, self.ppid, self.app, self.task = pid, ppid, app, task
        self.priority = priority
        self.user = ""  # whose memory it reads and writes; "" is the kernel's user (kernel/memory/kernelmem.py)
        self.engine = "default"  # the engine it runs on, by name, chosen at spawn (kernel/sched/engines.py)
        self.permissions = permissions  # its app's grants
        # the grant sets above its own, nearest first, as (app, Permissions): what its parent asked
        # for it at proc.spawn, then the parent's own, and so on; every one must allow a request
        self.lineage = lineage
        self.budgets = budgets
        self.workspace = workspace
        self.state = State.NEW
        self.resume_state = State.WAITING  # what CONT returns to
        self.usage = Usage()
        self.started = time.time()
        self.ended: float | None = None
        self.exit_reason = ""
        self.exit_status: int | None = None
        self.result: str | None = None
        self.error = ""
        self.current = ""  # the syscall in flight, for ps/top
        self.term_requested = False
        self.stop_requested = False
        self.cont_event = anyio.Event()
        self.done = anyio.Event()
        self.scope: anyio.CancelScope | None = None
        self.syscall_cancel: anyio.CancelScope | None = None
        self.deadlines: list[anyio.CancelScope] = []  # the time limits of the syscalls in flight (kernel/sched/deadline.py)
        self.kill_reason = ""  # set when the kernel cancels the process
        self.ctx_used = 0
        self.ctx_limit = 0
        self.tokens_window: list[tuple[float, int]] = []  # (time, tokens) for TOK/s
        self.wall_scope: anyio.CancelScope | None = None  # enforces wall_seconds; paused while BLOCKED
        self._person_since: float | None = None
        self._wall_left = 0.0
        self.browser_page: dict[str, Any] | None = None  # the last page it saw: url, title, elements (kernel/browser)
        self.program: Any = None  # an external program it runs instead of an app entry (kernel/proc/execprog.py)
        self.on_state: Callable[[Process, State, State], None] | None = None  # the kernel's event log, set at spawn

    def info(self) -> ProcInfo:
        """What ``ps`` and ``proc.ps`` show of it."""
        return ProcInfo(pid=self.pid, ppid=self.ppid, app=self.app, task=self.task[:200], state=self.state.value,
                        priority=self.priority, ctx_used=self.ctx_used, ctx_limit=self.ctx_limit,
                        tokens_in=self.usage.tokens_in, tokens_out=self.usage.tokens_out,
                        syscalls=self.usage.syscalls, steps=self.usage.steps, started=self.started,
                        cpu_time=round(self.usage.llm_seconds, 3), current=self.current,
                        exit_reason=self.exit_reason, exit_status=self.exit_status, result=self.result,
                        error=self.error[:2000], ready_time=round(self.usage.ready_seconds, 3), engine=self.engine,
                        children_tokens_in=self.usage.children_in, children_tokens_out=self.usage.children_out)

    @property
    def alive(self) -> bool:
        return self.state in LIVE

    def set_state(self, new: State) -> None:
        """The one way a process changes state: checked against the state machine, then reported."""
        self._person_clock(new is State.BLOCKED)
        if self.state == State.STOPPED and new not in DEAD and new != State.STOPPED:
            self.resume_state = new  # stays stopped; CONT resumes into this state
            return
        if new == self.state:
            return
        if self.state in DEAD:
            raise RuntimeError(f"pid {self.pid}: cannot leave {self.state.value}")
        if new not in DEAD and new not in _ALLOWED[self.state]:
            raise RuntimeError(f"pid {self.pid}: illegal transition {self.state.value} -> {new.value}")
        old, self.state = self.state, new
        if self.on_state is not None:
            self.on_state(self, old, new)

    def stop(self) -> None:
        """SIGSTOP: STOPPED until ``cont``, which returns it to the state it was in (or has reached since)."""
        if self.state in DEAD or self.state == State.STOPPED:
            return
        self.resume_state = self.state
        self.set_state(State.STOPPED)

    def cont(self) -> None:
        if self.state == State.STOPPED:  # the one door out of STOPPED: back to where it was
            old, self.state = self.state, self.resume_state
            if self.on_state is not None:
                self.on_state(self, old, self.state)

    def block(self) -> None:
        """Waiting for a person (an approval, a question): BLOCKED, by way of WAITING."""
        if self.state in (State.NEW, State.READY, State.RUNNING):
            self.set_state(State.WAITING)
        self.set_state(State.BLOCKED)

    def unblock(self) -> None:
        if self.alive:
            self.set_state(State.WAITING)

    def _person_clock(self, waiting: bool) -> None:
        """Waiting for a person stops the wall clock: the wall_seconds deadline moves out by the wait."""
        if waiting and self._person_since is None:
            self._person_since = time.time()
            if self.wall_scope is not None:
                self._wall_left = self.wall_scope.deadline - anyio.current_time()
                self.wall_scope.deadline = math.inf
        elif not waiting and self._person_since is not None:
            self.usage.person_seconds += time.time() - self._person_since
            self._person_since = None
            if self.wall_scope is not None:
                self.wall_scope.deadline = anyio.current_time() + self._wall_left

    @property
    def wall_time(self) -> float:
        """Seconds alive, less the time spent waiting for a person."""
        waiting = time.time() - self._person_since if self._person_since is not None else 0.0
        return (self.ended or time.time()) - self.started - self.usage.person_seconds - waiting

    def note_tokens(self, n: int, now: float | None = None) -> None:
        now = now or time.monotonic()
        self.tokens_window.append((now, n))
        cutoff = now - 5.0
        while self.tokens_window and self.tokens_window[0][0] < cutoff:
            self.tokens_window.pop(0)

    def tokens_per_second(self, now: float | None = None) -> float:
        now = now or time.monotonic()
        recent = [n for t, n in self.tokens_window if t >= now - 5.0]
        return sum(recent) / 5.0 if recent else 0.0

    @property
    def cpu_time(self) -> float:
        return self.usage.llm_seconds
