"""Fault injection for tests: make named driver call sites fail, hang or break mid-stream.

A plan is ``site=kind[*count]`` entries separated by commas, from ``KernelConfig.faults`` or
``$LLMOS_FAULTS``.  Sites are ``llm.submit`` (before the first token), ``llm.stream`` (after the
first token: the stream closes), and ``<driver>.<method>`` for ``memory``, ``sandbox``,
``browser`` and ``tools`` (any async method, e.g. ``sandbox.exec``, ``browser.open``).
Kinds: ``error`` (retryable ``unavailable``), ``fatal`` (not retryable, ``io``), ``timeout``
(retryable ``timeout``), ``hang`` (never answers: the syscall timeout must end it).
``*count`` fails only the first ``count`` calls of that site.

Example: ``LLMOS_FAULTS="llm.submit=error*2,sandbox.exec=hang" llmos boot``.
"""
from __future__ import annotations

import contextlib
import inspect
import os
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, cast

import anyio

from drivers.errors import DriverError
from drivers.llm import Engine, EngineError, Generation, GenRequest, Token
from drivers.tools import Tool

if TYPE_CHECKING:
    from kernel.kernel import Kernel

KINDS = ("error", "fatal", "timeout", "hang")


class Fault:
    def __init__(self, site: str, kind: str, count: int | None):
        self.site, self.kind, self.left = site, kind, count
        self.fired = 0


class FaultPlan:
    def __init__(self, spec: str = ""):
        self.faults: dict[str, Fault] = {}
        for entry in filter(None, (e.strip() for e in spec.split(","))):
            site, eq, rest = entry.partition("=")
            kind, star, count = rest.partition("*")
            if not eq or not site or kind not in KINDS or (star and not count.isdigit()):
                raise ValueError(f"bad fault {entry!r}: use site=kind[*count], kind one of {', '.join(KINDS)}")
            self.faults[site.strip()] = Fault(site.strip(), kind, int(count) if star else None)

    def __bool__(self) -> bool:
        return bool(self.faults)

    def fault_for(self, site: str) -> Fault | None:
        f = self.faults.get(site)
        if f is None or f.left == 0:
            return None
        if f.left is not None:
            f.left -= 1
        f.fired += 1
        return f

    async def check(self, site: str, error: type[DriverError] = DriverError) -> None:
        """Fail here if the plan says so."""
        f = self.fault_for(site)
        if f is None:
            return
        if f.kind == "hang":
            await anyio.sleep_forever()
        code, retry = {"error": ("unavailable", True), "fatal": ("io", False), "timeout": ("timeout", True)}[f.kind]
        raise error(f"injected fault at {site}: {f.kind}", code=code, retryable=retry)


class FaultyGeneration(Generation):
    def __init__(self, inner: Generation, plan: FaultPlan):
        self.inner, self.plan = inner, plan

    def cancel(self, reason: Any = "cancelled") -> None:
        self.inner.cancel(reason)

    @property
    def result(self) -> Any:
        return self.inner.result

    async def __aiter__(self) -> AsyncGenerator[Token, None]:
        try:
            await self.plan.check("llm.submit", EngineError)
            first = True
            async for tok in self.inner:
                yield tok
                if first:
                    first = False
                    await self.plan.check("llm.stream", EngineError)
        finally:
            self.inner.cancel()


class FaultyEngine:
    """The engine with the plan's ``llm.*`` faults in front of it; everything else passes through."""

    def __init__(self, inner: Any, plan: FaultPlan):
        self._inner, self._plan = inner, plan

    def submit(self, req: GenRequest) -> Generation:
        return FaultyGeneration(self._inner.submit(req), self._plan)

    def __getattr__(self, name: str) -> Any:  # probe: a proxy passes every other attribute through
        return getattr(self._inner, name)


class Faulty:
    """A driver with the plan's ``<prefix>.<method>`` faults in front of its async methods."""

    def __init__(self, inner: Any, plan: FaultPlan, prefix: str):
        self._inner, self._plan, self._prefix = inner, plan, prefix

    def __getattr__(self, name: str) -> Any:  # probe: a proxy wraps whatever the part it stands for has
        attr = getattr(self._inner, name)
        site = f"{self._prefix}.{name}"
        if site not in self._plan.faults or not inspect.iscoroutinefunction(attr):
            return attr

        async def faulty(*args: Any, **kwargs: Any) -> Any:
            await self._plan.check(site)
            return await attr(*args, **kwargs)
        return faulty


def plan_of(k: Kernel) -> FaultPlan:
    return FaultPlan(k.config.faults or os.environ.get("LLMOS_FAULTS", ""))


def wrap_drivers(k: Kernel, plan: FaultPlan) -> None:
    def hit(site: str) -> bool:
        return any(s.startswith(site + ".") for s in plan.faults)
    # each part is wrapped in a proxy that fails where the plan says and passes every other call through
    if k.memory is not None and hit("memory"):
        k.memory = Faulty(k.memory, plan, "memory")  # type: ignore[assignment]  # a proxy of the same interface
    if k.sandbox is not None and hit("sandbox"):
        k.sandbox = Faulty(k.sandbox, plan, "sandbox")  # type: ignore[assignment]  # a proxy of the same interface
    if k.browser is not None and hit("browser"):
        k.browser = Faulty(k.browser, plan, "browser")  # type: ignore[assignment]  # a proxy of the same interface
    for name, tool in list(k.tools.items()):
        if any(s.startswith(f"tools.{name}.") for s in plan.faults):
            k.tools[name] = cast(Tool, Faulty(tool, plan, f"tools.{name}"))  # a proxy, as FaultyEngine


async def attach(k: Kernel, stack: contextlib.AsyncExitStack) -> None:
    """The ``faults`` boot step: nothing unless a plan is configured."""
    plan = plan_of(k)
    if not plan:
        return
    k.faults = plan
    # a proxy of every engine: what it does not override comes from the engine it wraps
    for core in k.engines:
        k.engines.replace(core.name, cast(Engine, FaultyEngine(core.engine, plan)))
    k.events.emit("kernel.faults", plan=sorted(f"{f.site}={f.kind}" for f in plan.faults.values()))

    def on_boot(ev: dict[str, Any]) -> None:  # every subsystem is attached by now
        if ev.get("kind") == "kernel.boot":
            wrap_drivers(k, plan)
    stack.callback(k.events.subscribe(on_boot))
