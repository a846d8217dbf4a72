"""Running an app's code as a process: the agent loop or a Python entry, and what a child inherits."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import msgspec

from apps.manifest import Budgets, Manifest, Permissions
from kernel.agent import loop as agent
from kernel.agent import plan as agent_plan
from kernel.proc import budget, execprog
from kernel.proc.appload import load_entry
from kernel.proc.isolate import isolate
from kernel.proc.process import Process
from sandbox import SandboxError
from syscalls.errors import PermissionDenied, Unavailable

if TYPE_CHECKING:
    from kernel.kernel import Kernel


async def run_app(k: Kernel, proc: Process, manifest: Manifest) -> Any:
    if proc.program is not None:  # `llmos exec`: a program llmos did not write, calling the OpenAI API
        return await execprog.run(k, proc, proc.program)
    sys = k.sys_for(proc)
    if manifest.is_prompt:
        planner = agent_plan.for_process(k, proc) if manifest.agent.plan else None
        return await agent.run(sys, manifest.agent, proc.task, planner, context=k.memory is not None)
    mode = await isolation(k, manifest)
    if mode != "kernel":
        return await isolate(k, proc, manifest, mode)
    return await load_entry(manifest)(sys, proc.task)


async def isolation(k: Kernel, manifest: Manifest) -> str:
    """Where an app's code runs.  A trusted app (bundled, or installed with ``--trust``) runs
    where its manifest says.  Any other app's code never runs in the kernel: it gets a
    container when a Docker engine answers, and otherwise a jailed process under its own
    unprivileged uid, whatever its manifest asks."""
    if manifest.trusted:
        if manifest.isolation == "container" and k.sandbox is None:
            raise Unavailable(f"app '{manifest.name}' asks for a container, but this kernel has no sandbox "
                              f"(add 'sandbox' to its subsystems, or run `llmos boot`)")
        return manifest.isolation
    if k.sandbox is not None:
        try:
            await k.sandbox.start()  # connects and checks the image once; cheap afterwards
            return "container"
        except SandboxError as exc:
            k.events.emit("proc.isolate.fallback", app=manifest.name, error=str(exc)[:300])
    return "process"


ALL = Permissions(syscalls=["*"], tools=["*"], files=["**"], browser=["*", "!downloads"], memory=["*"], spawn=["*"])


def lineage(parent: Process, app: str, requested: list[str] | Permissions | None) -> tuple[tuple[str, Any], ...]:
    """The grant sets above a child's own (kernel/syscall/perm.py): what ``proc.spawn`` asked for it
    (a list names syscalls only), then its parent's own set and the parent's lineage.  Each is
    evaluated on every request; none is rewritten or compared as text."""
    above: list[tuple[str, Any]] = []
    if isinstance(requested, list):
        above.append((app, msgspec.structs.replace(ALL, syscalls=list(requested))))
    elif isinstance(requested, Permissions):
        above.append((app, requested))
    return (*above, (parent.app, parent.permissions), *parent.lineage)


def inherit(parent: Process, budg: Budgets) -> Budgets:
    """A child's budget is carved out of the parent's (its permissions: ``lineage``).

    The child's token budget is reserved from the parent's at once (so two children cannot both
    be promised the same tokens); when the child ends, ``settle`` returns what it did not spend."""
    kids = budget.limits(parent).get("children")
    if kids is not None and parent.usage.children + 1 > kids:
        raise PermissionDenied(f"pid {parent.pid} has used its budget of children ({kids:g})")
    left = budget.remaining(parent)
    caps = {}
    own_limits = msgspec.structs.asdict(budg)
    for name in ("tokens", "steps", "syscalls", "wall_seconds", "llm_seconds", "sandbox_cpu_seconds"):
        if name in left:
            own = own_limits[name]
            caps[name] = type(left[name])(max(0, left[name])) if own is None else min(own, max(0, left[name]))
    if "tokens" in caps:
        if caps["tokens"] <= 0:
            raise PermissionDenied(f"pid {parent.pid} has no tokens left to give a child")
        parent.usage.children_tokens += int(caps["tokens"])  # reserved now, settled when the child ends
    return msgspec.structs.replace(budg, **caps)


def settle(parent: Process | None, child: Process) -> None:
    """Give the parent back the part of the child's reserved token budget it did not spend."""
    if parent is not None and "tokens" in budget.limits(parent) and child.budgets is not None \
            and child.budgets.tokens is not None:
        parent.usage.children_tokens -= child.budgets.tokens


def releasers(k: Kernel) -> list[Callable[[str], Awaitable[None]]]:
    """Per-owner clean-up hooks of the drivers a process may have used."""
    out: list[Callable[[str], Awaitable[Any]]] = []
    if k.sandbox is not None:
        out.append(k.sandbox.release)
    if k.browser is not None:
        out.append(k.browser.release)
    return out
