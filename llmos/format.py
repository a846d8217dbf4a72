"""Text formatting shared by the CLI and the shell: the ps table, durations, events."""
from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from .textsafe import clip, printable

PS_HEADER = ("PID", "PPID", "APP", "ENGINE", "STATE", "PRIO", "CTX", "TOKENS", "SYSCALLS", "TIME", "READY", "EXIT", "TASK")


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


def ago(seconds: float) -> str:
    """How long ago, as a person says it: ``5 s ago``, ``2 min ago``, ``3 h ago``, ``2 d ago``."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s ago"
    if s < 3600:
        return f"{s // 60} min ago"
    if s < 86400:
        return f"{s // 3600} h ago"
    return f"{s // 86400} d ago"


def exit_text(p: Any, now: float | None = None) -> str:
    """How a process (a ``ProcRow``) ended, e.g. ``killed (137) 2 min ago``; empty while it runs."""
    if not p.exit_reason:
        return ""
    status = "" if p.exit_status is None else f" ({p.exit_status})"
    when = f" {ago((now or time.time()) - p.ended)}" if p.ended else ""
    return f"{printable(p.exit_reason)}{status}{when}"


def task_text(task: str | None, limit: int = 40) -> str:
    """A task on one line, safe to print, cut to ``limit`` characters."""
    s = printable(" ".join((task or "").split()))
    return s if len(s) <= limit else s[: limit - 1] + "…"


def ps_rows(procs: Iterable[Any], now: float | None = None) -> list[tuple[str, ...]]:
    """One row per process; the app, task and exit are untrusted text, shown escaped (textsafe)."""
    return [(str(p.pid), str(p.ppid), printable(p.app), printable(p.engine or "default"), printable(p.state), str(p.priority), f"{p.ctx_used}/{p.ctx_limit}",
             str(p.tokens_in + p.tokens_out), str(p.syscalls), cpu(p.cpu_time), cpu(p.ready_time),
             exit_text(p, now),
             task_text(p.task)) for p in procs]


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    right = {PS_HEADER.index(h) for h in ("PID", "PPID", "PRIO", "TOKENS", "SYSCALLS", "TIME", "READY")}
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
    """One event on one line; every field is escaped (events carry task, argument and page text)."""
    try:
        t = time.strftime("%H:%M:%S", time.localtime(float(ev.get("ts", 0))))
    except (TypeError, ValueError, OverflowError, OSError):
        t = "??:??:??"
    fields = " ".join(f"{printable(k)}={_short(v)}" for k, v in ev.items() if k not in _SKIP)
    return f"{t} {printable(ev.get('pid', 0)):>5} {printable(ev.get('kind', '?')):<14} {fields}"


def _short(v: Any, n: int = 80) -> str:
    s = v if isinstance(v, str) else repr(v)
    return clip(s.replace("\n", " "), n)


def outcome(info: Any, limit: int = 400) -> str:
    """One line saying how a process ended: its exit reason, status and error message."""
    if info.exit_reason == "exited":
        return f"[{info.pid}] done"
    error = " ".join((info.error or "").split())  # one line, whatever the error held
    why = f": {clip(error, limit)}" if error else ""
    more = f" (`llmos logs {info.pid}` has the whole of it)" if len(error) > limit else ""
    return f"[{info.pid}] {printable(info.exit_reason)} (status {info.exit_status}){why}{more}"
