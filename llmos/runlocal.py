"""Run one app in an in-process kernel (when no daemon is running) and return its record."""
from __future__ import annotations

import argparse
import fnmatch
import sys
from typing import Any

import msgspec

from apps.registry import AppRegistry
from drivers.llm import EngineError
from kernel import Kernel
from kernel.proc.process import Process
from kernel.rules import RulesError
from syscalls.errors import SyscallError

from . import kflags, notices, runfollow
from .channels import LocalChannel
from .person import footer


def uses_sandbox(registry: AppRegistry, app: str, granted: list[str] | None = None, depth: int = 0) -> bool:
    """Whether a one-shot run of ``app`` could reach a sandbox container: it runs in one (an untrusted
    app's code does by default), may call a sandbox tool (one its ``granted`` parent's tools allow too: a child
    never gets more than its parent), or may start a child that could. Unknown apps, and children named by a
    pattern, count as yes; the spawn reports them."""
    try:
        m = registry.get(app)
    except Exception:  # noqa: BLE001 - the spawn itself will say what is wrong
        return True
    tools = [t for t in [*m.permissions.tools, *m.agent.tools]
             if granted is None or any(fnmatch.fnmatchcase(t, g) or fnmatch.fnmatchcase(g, t) for g in granted)]
    untrusted_code = not m.trusted and not m.is_prompt
    if (m.isolation == "container" or untrusted_code
            or any(fnmatch.fnmatchcase(kind, t) for t in tools for kind in ("python", "shell"))):
        return True
    return any(depth >= 3 or any(c in child for c in "*?[") or uses_sandbox(registry, child, tools, depth + 1)
               for child in m.permissions.spawn)


def failed(app: str, status: int, error: str, *, reason: str = "error") -> dict[str, Any]:
    """The record of a run that never got a process."""
    return {"pid": 0, "app": app, "state": "NEW", "result": None, "exit_reason": reason, "exit_status": status,
            "error": error, "tokens": {"input": 0, "output": 0}, "syscalls": 0}


def record_of(p: Process) -> dict[str, Any]:
    return {"pid": p.pid, "app": p.app, "task": p.task, "state": p.state.value, "result": p.result,
            "exit_reason": p.exit_reason, "exit_status": p.exit_status, "error": p.error,
            "tokens": {"input": p.usage.tokens_in, "output": p.usage.tokens_out},
            "syscalls": p.usage.syscalls, "steps": p.usage.steps,
            "seconds": round((p.ended or p.started) - p.started, 3)}


async def run_local(args: argparse.Namespace) -> dict[str, Any]:
    print("llmos: no kernel daemon running; starting an in-process kernel", file=sys.stderr)
    from kernel.settings import SettingsError
    try:
        cfg = kflags.config_from(args)
    except SettingsError as exc:
        return failed(args.app, 2, f"configuration error: {exc}")
    registry = AppRegistry(installed_dir=cfg.home_path() / "apps")
    if not uses_sandbox(registry, args.app):  # nothing to warm containers for (they cost about 1 s at exit)
        cfg = msgspec.structs.replace(cfg, sandbox_pool=0)
    try:
        async with Kernel(cfg, engine=kflags.engine_for(cfg), engines=kflags.engines_for(cfg),
                          registry=registry) as k:
            return await _serve(k, args)
    except EngineError as exc:  # a model file that is not there, a model that does not load
        return failed(args.app, 2, f"cannot start the model: {exc}")
    except RulesError as exc:  # rules fail closed: the kernel does not boot with a broken rules file
        return failed(args.app, 2, str(exc), reason="rules")


async def _serve(k: Kernel, args: argparse.Namespace) -> dict[str, Any]:
    try:
        pid = await k.spawn(args.app, " ".join(args.task), files=getattr(args, "files", None),
                            engine=getattr(args, "engine", None))
    except SyscallError as exc:
        return failed(args.app, 1, exc.message)
    tty = runfollow.interactive() and not getattr(args, "json", False)
    _, seconds = await runfollow.follow(LocalChannel(k), pid, tty=tty, remote=False)  # its person is here
    for line in notices.cut_inputs(pid, k.events.for_pid(pid)):
        print(line, file=sys.stderr)
    p = k.ptable.get(pid)
    if p is None:  # the table keeps every process this kernel ran, ended ones too
        return failed(args.app, 1, f"pid {pid} is not in the process table")
    record = record_of(p)
    record["person_seconds"] = round(p.usage.person_seconds, 3)
    if tty:
        record["footer"] = footer(seconds)
    return record
