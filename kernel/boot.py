"""What a kernel attaches at boot besides its engine: one ``attach`` step per subsystem.

Each step is ``async def attach(k, stack)``: it builds its driver from ``k.config``, sets it on
the kernel (``k.memory``, ``k.rules``, ``k.sandbox``, ``k.browser``, ``k.tools[...]``), pushes
its clean-up onto ``stack`` (an ``AsyncExitStack`` closed at shutdown, after every process has
ended), and may add per-process hooks to ``k.hooks``.  A step that cannot start its part (no
Docker engine, no Chromium) leaves it unset and says why in the event log: the rest of llmos
keeps working and the syscalls of that part answer ``unavailable``.

Steps in ``REQUIRED`` are the exception: the kernel must not run without them, so their errors
propagate and the kernel does not boot.  The rules are one: a kernel with fewer rules than the person
wrote would allow what they meant to deny.

``KernelConfig.subsystems`` names the steps a kernel runs; the daemon and ``llmos run`` run them
all, unit tests of kernel logic run none unless they ask."""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from kernel.browser import boot as boot_browser
from kernel.memory import boot as boot_memory
from kernel.reliability import boot as boot_reliability
from kernel.reliability import trace
from kernel.rules import boot as boot_rules
from kernel.sandbox import boot as boot_sandbox
from kernel.sched import boot as boot_perf
from kernel.syscall import boot_mcp, person

if TYPE_CHECKING:
    from kernel.kernel import Kernel

Attach = Callable[["Kernel", contextlib.AsyncExitStack], Awaitable[None]]

# name -> attach step, in boot order.  Each subsystem registers itself here with one line.
STEPS: dict[str, Attach] = {
    "traces": trace.attach,
    "person": person.attach,  # user.ask/confirm go to whoever started the process (kernel/syscall/person.py)
    "rules": boot_rules.attach,
    "memory": boot_memory.attach,  # context as RAM, the vector store as disk
    "mcp": boot_mcp.attach,
    "sandbox": boot_sandbox.attach,
    "browser": boot_browser.attach,
    "perf": boot_perf.attach,
    **boot_reliability.STEPS,  # journal (and crash recovery, after the parts it cleans up), watchdog, faults
    "openai_api": lambda k, stack: _openai_api(k, stack),  # the OpenAI-compatible HTTP API (docs/agents.md)
}

REQUIRED = frozenset({"rules"})  # a kernel does not boot without these


async def _openai_api(k: "Kernel", stack: contextlib.AsyncExitStack) -> None:
    from kernel.api.openai import attach  # kernel.api imports the kernel itself: loaded once the kernel is
    await attach(k, stack)


async def attach_all(k: "Kernel", stack: contextlib.AsyncExitStack) -> None:
    names = list(STEPS) if k.config.subsystems is None else k.config.subsystems
    for name in names:
        step = STEPS.get(name)
        if step is None:
            k.events.emit("kernel.subsystem", name=name, ok=False, error="unknown subsystem")
            continue
        try:
            await step(k, stack)
        except Exception as exc:  # one part failing to start must not stop the kernel ...
            k.events.emit("kernel.subsystem", name=name, ok=False, error=f"{type(exc).__name__}: {exc}")
            if name in REQUIRED:  # ... unless it is one the kernel must not run without
                raise
        else:
            k.events.emit("kernel.subsystem", name=name, ok=True)


class Hooks:
    """Per-process hooks the subsystems add: ``spawn(proc, manifest)`` and ``exit(proc)`` (both
    awaited, errors logged and ignored)."""

    def __init__(self) -> None:
        self.spawn: list[Callable[..., Awaitable[Any]]] = []
        self.exit: list[Callable[..., Awaitable[Any]]] = []
        # ``tools(proc, name)``: put tools listed on first use (MCP servers) into ``k.tools`` before
        # ``tool.list`` (name "") or ``tool.call`` of ``name``
        self.tools: list[Callable[..., Awaitable[Any]]] = []
