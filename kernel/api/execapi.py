"""The kernel API's ``exec`` and ``api.key`` requests: external programs as processes, and their keys."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from kernel.api import messages as m
from kernel.proc.execprog import Program, spawn
from syscalls.errors import NotFound, Unavailable


def _budgets(raw: dict[str, float]) -> dict[str, float]:
    return {k: int(v) if float(v).is_integer() else v for k, v in raw.items()}  # JSON has one number type


async def exec_(kernel: Any, req: m.Exec) -> m.ExecStarted:
    program = Program(argv=list(req.argv), cwd=req.cwd, env=dict(req.env), isolation=req.isolation)
    pid = await spawn(kernel, program, app=req.app, manifest=req.manifest, name=req.name, priority=req.priority,
                      budgets=_budgets(req.budgets))
    return m.ExecStarted(pid=pid, url=kernel.api_url)


async def api_key(kernel: Any, req: m.ApiKey) -> dict[str, str]:
    if kernel.api_calls is None:
        raise Unavailable("the kernel's OpenAI API is not attached")
    if kernel.ptable.live(req.pid) is None:
        raise NotFound(f"no running process {req.pid}")
    return {"key": kernel.api_calls.issue(req.pid), "url": kernel.api_url}


HANDLERS: dict[type[msgspec.Struct], Callable[[Any, Any], Awaitable[Any]]] = {m.Exec: exec_, m.ApiKey: api_key}
