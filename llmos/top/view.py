"""top's table model, free of any UI: columns, filtering, sorting, the tree by parent, the header line."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..format import cpu, duration, exit_text, task_text
from ..textsafe import clip, printable

LIVE = ("NEW", "READY", "RUNNING", "WAITING", "BLOCKED", "SLEEPING", "STOPPED")
KEEP_EXITED = 300.0  # seconds an ended process stays in the table, greyed out, before it drops off
COLUMNS = ("PID", "PPID", "APP", "ENGINE", "STATE", "PRIO", "CTX", "TOK/s", "TOKENS", "SYSCALLS", "TIME", "READY", "SYSCALL",
           "EXIT", "TASK")
SORT_KEYS: dict[str, Callable[[Any], Any]] = {
    "PID": lambda p: p.pid, "PPID": lambda p: p.ppid, "APP": lambda p: p.app, "ENGINE": lambda p: p.engine,
    "STATE": lambda p: p.state,
    "PRIO": lambda p: p.priority, "CTX": lambda p: p.ctx_used, "TOK/s": lambda p: p.tokens_per_second,
    "TOKENS": lambda p: p.tokens_in + p.tokens_out, "SYSCALLS": lambda p: p.syscalls,
    "TIME": lambda p: p.cpu_time, "READY": lambda p: p.ready_time, "SYSCALL": lambda p: p.current,
    "EXIT": lambda p: (p.ended or 0.0, p.exit_reason), "TASK": lambda p: p.task or "",
}
DESCENDING = {"TOK/s", "TOKENS", "SYSCALLS", "TIME", "READY", "CTX"}


def cells(p: Any, depth: int = 0, now: float | None = None) -> tuple[str, ...]:
    """One row's text; the app, syscall, exit and task are escaped (textsafe), as untrusted text is."""
    app = ("  " * depth + ("└ " if depth else "")) + printable(p.app)
    return (str(p.pid), str(p.ppid), app, printable(p.engine or "default"), printable(p.state), str(p.priority), f"{p.ctx_used}/{p.ctx_limit}",
            f"{p.tokens_per_second:.1f}", str(p.tokens_in + p.tokens_out), str(p.syscalls), cpu(p.cpu_time),
            cpu(p.ready_time), clip(p.current or "", 80), exit_text(p, now), task_text(p.task, 48))


def alive(p: Any) -> bool:
    return p.state in LIVE


def shown_by_default(p: Any, now: float) -> bool:
    """Live processes, and ended ones for ``KEEP_EXITED`` seconds after they ended."""
    return alive(p) or (p.ended is not None and now - p.ended < KEEP_EXITED)


def matches(p: Any, needle: str) -> bool:
    if not needle:
        return True
    needle = needle.lower()
    return any(needle in s.lower() for s in (str(p.pid), p.app, p.state, p.task or "", p.current or ""))


def arrange(procs: list[Any], *, needle: str = "", sort: str = "PID", reverse: bool = False,
            tree: bool = False, show_dead: bool = False, now: float | None = None) -> list[tuple[Any, int]]:
    """The rows to show, in order, each with its depth in the tree (0 when not a tree)."""
    now = now or time.time()
    shown = [p for p in procs if (show_dead or shown_by_default(p, now)) and matches(p, needle)]
    key = SORT_KEYS.get(sort, SORT_KEYS["PID"])
    desc = (sort in DESCENDING) != reverse
    ordered = sorted(shown, key=key, reverse=desc)
    if not tree:
        return [(p, 0) for p in ordered]
    pids = {p.pid for p in ordered}
    kids: dict[int, list[Any]] = {}
    for p in ordered:
        kids.setdefault(p.ppid if p.ppid in pids else 0, []).append(p)
    out: list[tuple[Any, int]] = []

    def walk(parent: int, depth: int) -> None:
        for p in kids.get(parent, []):
            out.append((p, depth))
            if p.pid != parent:
                walk(p.pid, depth + 1)
    walk(0, 0)
    return out


def find(rows: list[Any], needle: str, start: int, step: int = 1) -> int | None:
    """The index of the next row after ``start`` (wrapping, in direction ``step``) that matches ``needle``."""
    n = len(rows)
    for i in range(1, n + 1):
        j = (start + step * i) % n
        if matches(rows[j], needle):
            return j
    return None


def header(stats: Any, procs: list[Any]) -> str:
    states: dict[str, int] = {}
    for p in procs:
        states[p.state] = states.get(p.state, 0) + 1
    by_state = ", ".join(f"{n} {s.lower()}" for s, n in sorted(states.items())) or "none"
    engines = stats.engines if len(stats.engines) > 1 else []
    slots = (f"LLM slots {stats.slots_busy}/{stats.slots_total} busy   run queue {stats.queued}" if not engines else
             "LLM slots " + ", ".join(f"{printable(e.name)} {e.slots_busy}/{e.slots_total} (queue {e.queued})"
                                      for e in engines))
    return (f"{slots}   {stats.tokens_per_second:.1f} tok/s   up {duration(stats.uptime)}   "
            f"model {printable(stats.model or 'embedded')}\n"
            f"processes {len(procs)}: {by_state}")
