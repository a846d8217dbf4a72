"""KV that follows a process across its syscalls: how long each kind of syscall keeps it away, learned online."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from kernel.proc.process import Process
from syscalls import tool

if TYPE_CHECKING:
    from kernel.kernel import Kernel

ALPHA = 0.3  # weight of the newest duration in a syscall's moving average
FIRST_GUESS_S = 1.0  # what a syscall never seen before is expected to take
MAX_LABELS = 1024  # durations kept (tools named by apps are unbounded)


class PauseClock:
    """Expected durations of the syscalls a process makes between two LLM calls, per syscall and,
    for ``tool.call``, per tool: a moving average of what each took (Continuum's per-tool estimate).
    The engine uses them to decide whose kept KV is needed last (evicted, parked or dropped first)."""

    def __init__(self) -> None:
        self.mean_s: dict[str, float] = {}

    def expect(self, label: str) -> float:
        return self.mean_s.get(label, FIRST_GUESS_S)

    def observe(self, label: str, seconds: float) -> None:
        old = self.mean_s.get(label)
        if old is None and len(self.mean_s) >= MAX_LABELS:
            return
        self.mean_s[label] = seconds if old is None else old + ALPHA * (seconds - old)


def label(name: str, req: Any) -> str:
    """``tool.call:<tool>`` for tool calls (each tool its own estimate), else the syscall's name."""
    return f"{name}:{req.name}" if isinstance(req, tool.Call) else name


@contextmanager
def paused(k: "Kernel", proc: Process, name: str, req: Any, *, nested: bool = False) -> Iterator[None]:
    """Around a syscall other than an LLM call: tell the engine the process's KV will be wanted again
    in about the time such a syscall takes, and learn how long it took this time.  A syscall made
    inside another (a tool's own) changes nothing: the outer one says when the process is back."""
    if not k.config.kv_follow or nested or name.startswith("llm."):
        yield
        return
    key = label(name, req)
    k.engines.of(proc).engine.kv_pause(str(proc.pid), k.pauses.expect(key))
    t0 = time.monotonic()
    try:
        yield
    finally:
        k.pauses.observe(key, time.monotonic() - t0)
