"""Syscall time limits that bound driver work only: the clock stops while the process is queued for a slot."""
from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

import anyio

from kernel.proc.process import Process


@contextmanager
def limit(proc: Process, seconds: float) -> Iterator[anyio.CancelScope]:
    """Run the body under a ``seconds`` limit that ``queued`` pauses; raises ``TimeoutError`` when it runs out.

    The limits of nested syscalls (a tool that makes syscalls of its own) form a stack on the
    process; a wait for a slot pauses all of them, since none of them is doing driver work then.
    """
    scope = anyio.CancelScope(deadline=anyio.current_time() + seconds)
    proc.deadlines.append(scope)
    try:
        with scope:
            yield scope
    finally:
        proc.deadlines.remove(scope)
    if scope.cancelled_caught:
        raise TimeoutError


@contextmanager
def queued(proc: Process) -> Iterator[None]:
    """While the body runs (a wait for an LLM slot) the process's syscall limits stand still, and the
    time is added to its READY time (``Usage.ready_seconds``), which ps and top show."""
    now = anyio.current_time()
    left = [(s, s.deadline - now) for s in proc.deadlines]
    for s, _ in left:
        s.deadline = math.inf
    t0 = time.monotonic()
    try:
        yield
    finally:
        proc.usage.ready_seconds += time.monotonic() - t0
        now = anyio.current_time()
        for s, rest in left:
            s.deadline = now + rest
