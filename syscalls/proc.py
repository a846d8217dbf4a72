"""The ``proc`` family: spawn, wait, kill, ps, exit, and messages between processes."""
from __future__ import annotations

from typing import Annotated, Any

import msgspec

from .base import Name, Pid, Reply, Request, Text

Signal = Annotated[str, msgspec.Meta(pattern="^(TERM|KILL|STOP|CONT)$")]
Seconds = Annotated[float, msgspec.Meta(ge=0, le=86400)]


class Spawn(Request, tag="proc.spawn"):
    app: Name
    task: Text = ""
    priority: Annotated[int, msgspec.Meta(ge=0, le=39)] | None = None
    budgets: dict[str, float] = {}  # carved out of the parent's
    permissions: list[str] | None = None  # can only narrow the parent's


class Wait(Request, tag="proc.wait"):
    pid: Pid | None = None  # None: any child
    timeout: Seconds | None = None


class Kill(Request, tag="proc.kill"):
    pid: Pid
    signal: Signal = "TERM"


# A grant beyond the syscall name, listed in [permissions] syscalls and matched only when written
# out whole (no glob such as "proc.*" or "*" grants it): list every process, not just one's own tree.
PS_ALL = "proc.ps.all"


class Ps(Request, tag="proc.ps"):
    all: bool = False  # False: this process and its descendants; True needs the PS_ALL grant


class Exit(Request, tag="proc.exit"):
    result: Text = ""
    status: Annotated[int, msgspec.Meta(ge=0, le=255)] = 0


class Send(Request, tag="proc.send"):
    pid: Pid
    message: Any


class Recv(Request, tag="proc.recv"):
    timeout: Seconds | None = None


class Spawned(Reply):
    pid: int


class ProcInfo(Reply):
    pid: int
    ppid: int
    app: str
    task: str
    state: str
    priority: int
    ctx_used: int
    ctx_limit: int
    tokens_in: int
    tokens_out: int
    syscalls: int
    steps: int
    started: float
    cpu_time: float
    current: str = ""
    exit_reason: str = ""
    exit_status: int | None = None
    result: str | None = None
    error: str = ""  # why it failed, when it did (the exit line and --json show it)
    ready_time: float = 0.0  # seconds spent READY (queued for an LLM slot), not counted in cpu_time
    engine: str = ""  # the engine it runs on, by name ("default" unless configured otherwise)
    children_tokens_in: int = 0  # what its ended children and their descendants read and wrote (not in tokens_in/out)
    children_tokens_out: int = 0


class Waited(Reply):
    pid: int
    state: str
    exit_reason: str
    exit_status: int
    result: str


class PsReply(Reply):
    procs: list[ProcInfo]


class Message(Reply):
    sender: int
    message: Any
