"""Run one app in an in-process kernel (when no daemon is running) and return its record."""
from __future__ import annotations

import argparse
import sys
from typing import Any

import anyio

from kernel import Kernel, KernelConfig
from syscalls.errors import SyscallError

from . import approve_local


def config_from(args: argparse.Namespace) -> KernelConfig:
    """llmos.toml in the home, then LLMOS_* variables, then ``llmos run``'s flags (kernel/settings.py)."""
    from kernel.settings import load
    flag = lambda name: getattr(args, name, None)  # noqa: E731
    return load(flags={"model": ("--model", flag("model")), "max_tokens": ("--max-tokens", flag("max_tokens")),
                       "n_slots": ("--slots", flag("slots")), "policy": ("--policy", flag("policy"))}).config


def record_of(k: Kernel, pid: int) -> dict[str, Any]:
    p = k.ptable.get(pid)
    return {"pid": p.pid, "app": p.app, "task": p.task, "state": p.state.value, "result": p.result,
            "exit_reason": p.exit_reason, "exit_status": p.exit_status, "error": p.error,
            "tokens": {"input": p.usage.tokens_in, "output": p.usage.tokens_out},
            "syscalls": p.usage.syscalls, "steps": p.usage.steps,
            "seconds": round((p.ended or p.started) - p.started, 3)}


async def run_local(args: argparse.Namespace) -> dict[str, Any]:
    print("llmos: no kernel daemon running; starting an in-process kernel", file=sys.stderr)
    from kernel.settings import SettingsError

    from .commands.daemon import engine_of
    try:
        cfg = config_from(args)
    except SettingsError as exc:
        return {"pid": 0, "app": args.app, "state": "NEW", "result": None, "exit_reason": "error",
                "exit_status": 2, "error": f"configuration error: {exc}", "tokens": {"input": 0, "output": 0},
                "syscalls": 0}
    async with Kernel(cfg, engine=engine_of(cfg)) as k:
        try:
            pid = await k.spawn(args.app, " ".join(args.task))
        except SyscallError as exc:
            return {"pid": 0, "app": args.app, "state": "NEW", "result": None, "exit_reason": "error",
                    "exit_status": 1, "error": exc.message, "tokens": {"input": 0, "output": 0}, "syscalls": 0}
        async with anyio.create_task_group() as tg:  # approvals asked on this terminal while it runs
            tg.start_soon(approve_local.serve, k)
            await k.wait(pid)
            tg.cancel_scope.cancel()
        return record_of(k, pid)
