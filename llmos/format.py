"""Text formatting shared by the CLI and the shell: the ps table, durations, events."""
from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

PS_HEADER = ("PID", "PPID", "APP", "STATE", "PRIO", "CTX", "TOKENS", "SYSCALLS", "TIME", "READY", "TASK")


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    h, rest = divmod(seconds, 3600)
    mnt, s = divmod(rest, 60)
    return f"{h}:{mnt:02d}:{s:02d}" if h else f"{mnt}:{s:02d}"


def cpu(seconds: float) -> str:
    """LLM time, as ps shows CPU time: m:ss.s"""
    mnt, s = divmod(max(0.0, seconds), 60)
    return f"{int(mnt)}:{s:04.1f}"


def elapsed(info: Any, now: float | None = None) -> float:
    return (now or time.time()) - info.started


def ps_rows(procs: Iterable[Any]) -> list[tuple[str, ...]]:
    return [(str(p.pid), str(p.ppid), p.app, p.state, str(p.priority), f"{p.ctx_used}/{p.ctx_limit}",
             str(p.tokens_in + p.tokens_out), str(p.syscalls), cpu(p.cpu_time),
             cpu(p.ready_time),
             (p.task or "").replace("\n", " ")[:40]) for p in procs]


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    right = {0, 1, 4, 6, 7, 8}
    def line(cells: tuple[str, ...]) -> str:
        out = []
        for i, c in enumerate(cells):
            last = i == len(cells) - 1
            out.append(c if last else (c.rjust(widths[i]) if i in right else c.ljust(widths[i])))
        return "  ".join(out).rstrip()
    return "\n".join([line(header), *(line(r) for r in rows)])


def ps_table(procs: Iterable[Any]) -> str:
    return table(PS_HEADER, ps_rows(procs))


_SKIP = {"ts", "seq", "kind", "pid"}


def event_line(ev: dict) -> str:
    t = time.strftime("%H:%M:%S", time.localtime(ev.get("ts", 0)))
    fields = " ".join(f"{k}={_short(v)}" for k, v in ev.items() if k not in _SKIP)
    return f"{t} {ev.get('pid', 0):>5} {ev.get('kind', '?'):<14} {fields}"


def _short(v: Any, n: int = 80) -> str:
    s = v if isinstance(v, str) else repr(v)
    s = s.replace("\n", " ")
    return (s[: n - 1] + "…") if len(s) > n else s


def outcome(info: Any) -> str:
    """One line saying how a process ended."""
    if info.exit_reason == "exited":
        return f"[{info.pid}] done"
    return f"[{info.pid}] {info.exit_reason} (status {info.exit_status})"
