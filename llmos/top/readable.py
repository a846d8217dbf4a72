"""Events and process details as a person reads them: clock times, not epoch floats; ``role: text``, not reprs."""
from __future__ import annotations

import ast
import json
import re
import time
from typing import Any

from ..format import ago, cpu, exit_text
from ..textsafe import printable

_TIME_KEYS = ("ts", "time", "started", "ended", "expires", "deadline")
_REPR = re.compile(r"""\w*Message\(role=['"](?P<role>\w+)['"],\s*content=(?P<q>['"])(?P<content>.*?)(?<!\\)(?P=q)"""
                   r"""[^)]*\)""", re.S)
_SKIP = {"ts", "seq", "kind", "pid"}


def clock(ts: float, now: float | None = None) -> str:
    """``10:42:07 (2 min ago)`` for an epoch time; ``(in 4 min)`` for one still ahead."""
    delta = (now or time.time()) - ts
    when = ago(delta) if delta >= 0 else "in " + ago(-delta).removesuffix(" ago")
    return f"{time.strftime('%H:%M:%S', time.localtime(ts))} ({when})"


def _is_time(key: str, value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and value > 1e9
            and any(key == k or key.endswith("_" + k) for k in _TIME_KEYS))


def value(key: str, v: Any, limit: int = 100) -> str:
    """One field's value on one line, safe to print and at most ``limit`` characters."""
    if _is_time(key, v):
        return time.strftime("%H:%M:%S", time.localtime(v))
    text = _plain(v)
    text = printable(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(v: Any) -> str:
    if isinstance(v, dict):
        if "role" in v and "content" in v:
            return f"{v['role']}: {_plain(v['content'])}"
        return ", ".join(f"{k}={_plain(x)}" for k, x in v.items())
    if isinstance(v, list):
        return "; ".join(_plain(x) for x in v)
    if isinstance(v, float):
        return f"{v:g}"
    if not isinstance(v, str):
        return str(v)
    # objects the kernel could only send as their repr: ChatMessage(role='user', content='hi') -> user: hi
    whole = _REPR.fullmatch(v.strip())
    if whole:
        return f"{whole['role']}: {whole['content']}"
    v = _REPR.sub(lambda m: repr(f"{m['role']}: {m['content']}"), v)
    if v[:1] in "{[":
        try:
            return _plain(json.loads(v))
        except ValueError:
            try:  # a Python repr of a dict or list (the rules' decision events carry them)
                return _plain(ast.literal_eval(v))
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                pass
    return v


def event(ev: dict, limit: int = 100) -> str:
    t = time.strftime("%H:%M:%S", time.localtime(ev.get("ts", 0)))
    fields = " ".join(f"{k}={value(k, v, limit)}" for k, v in ev.items() if k not in _SKIP)
    return f"{t} {printable(ev.get('kind', '?')):<14} {fields}"


def summary(p: Any, now: float | None = None) -> list[str]:
    """A process (a ``ProcRow``) in a few lines: who, what, since when, how it ended."""
    now = now or time.time()
    lines = [f"pid {p.pid} ({printable(p.app)}, parent {p.ppid})  {p.state}  engine {printable(p.engine or 'default')}"
             f"  started {clock(p.started, now)}"
             f"  LLM time {cpu(p.cpu_time)}  tokens {p.tokens_in}+{p.tokens_out}  syscalls {p.syscalls}",
             f"task: {value('task', p.task, 200)}"]
    if p.exit_reason:
        lines.append(f"exit: {exit_text(p, now)}" + (f"  result: {value('result', p.result, 160)}"
                                                      if p.result else ""))
    elif p.current:
        lines.append(f"in syscall {printable(p.current)}")
    return lines
