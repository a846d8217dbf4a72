"""Budgets the kernel enforces: which limit, if any, a process has crossed."""
from __future__ import annotations

import msgspec

from kernel.proc.process import Process

# budget name -> how to read the matching usage
_READ = {
    "tokens": lambda p: p.usage.tokens,
    "steps": lambda p: p.usage.steps,
    "syscalls": lambda p: p.usage.syscalls,
    "llm_seconds": lambda p: p.usage.llm_seconds,
    "children": lambda p: p.usage.children,
    "sandbox_cpu_seconds": lambda p: p.usage.sandbox_cpu_seconds,
    "wall_seconds": lambda p: p.wall_time,  # waiting for a person does not count (kernel/syscall/person.py)
}


def limits(proc: Process) -> dict[str, float]:
    b = proc.budgets
    if b is None:
        return {}
    fields = msgspec.structs.asdict(b)
    return {k: fields[k] for k in _READ if fields.get(k) is not None}


def breached(proc: Process, only: tuple[str, ...] | None = None) -> str | None:
    """The name of the first budget ``proc`` has exceeded, or None."""
    for name, limit in limits(proc).items():
        if only and name not in only:
            continue
        if _READ[name](proc) > limit:
            return name
    return None


def remaining(proc: Process) -> dict[str, float]:
    return {name: limit - _READ[name](proc) for name, limit in limits(proc).items()}


def tokens_left(proc: Process) -> int | None:
    lim = limits(proc).get("tokens")
    return None if lim is None else int(lim - proc.usage.tokens)
