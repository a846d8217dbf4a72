"""Several named engines at once: each its own model (drivers/llm) and its own scheduler of that engine's
slots; a process is routed to one of them at spawn and keeps it for its life (docs/config.md, "Several engines")."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import anyio

from drivers.llm import Engine, EngineError
from kernel.config import KernelConfig
from kernel.proc.process import Process
from kernel.sched.engineconf import DEFAULT  # the engine of [engine] / --model / $LLMOS_MODEL
from kernel.sched.scheduler import Scheduler
from syscalls.errors import InvalidArgument, Unavailable

if TYPE_CHECKING:
    from apps.manifest import Manifest


class Core:
    """One engine and the scheduler that hands out its slots."""

    __slots__ = ("_sched", "engine", "name", "spec")

    def __init__(self, name: str, spec: str, engine: Engine):
        self.name, self.spec, self.engine = name, spec, engine
        self._sched: Scheduler | None = None

    @property
    def sched(self) -> Scheduler:
        if self._sched is None:
            raise RuntimeError(f"engine {self.name!r} has no scheduler before the kernel boots")
        return self._sched

    @property
    def share(self) -> int:
        """The tokens one process's sequence holds on this engine: its context window."""
        return self.engine.n_ctx // max(1, self.engine.n_slots)


class EngineSet:
    """The kernel's engines by name; ``default`` always among them.  Engines handed in (tests, the scripted
    model of ``llmos run``) are used as they are; the others are opened from the configuration at boot."""

    def __init__(self, config: KernelConfig, *, default: Engine | None = None,
                 given: dict[str, Engine] | None = None):
        self.config = config
        self.specs: dict[str, tuple[str, int, int]] = {DEFAULT: (config.model, config.n_slots, config.n_ctx)}
        for name, conf in config.engines.items():
            self.specs[name] = (conf.model, conf.n_slots, conf.n_ctx)
        self._given: dict[str, Engine] = {**(given or {})}
        if default is not None:
            self._given[DEFAULT] = default
        for name in self._given:
            self.specs.setdefault(name, ("", 0, 0))
        self._cores: dict[str, Core] = {}

    # -- names and lookups -----------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self.specs)

    def __contains__(self, name: object) -> bool:
        return name in self.specs

    def __iter__(self) -> Iterator[Core]:
        return iter(self._cores.values())

    def __len__(self) -> int:
        return len(self.specs)

    def core(self, name: str = DEFAULT) -> Core:
        core = self._cores.get(name)
        if core is None:
            raise RuntimeError(f"the kernel has no engine {name!r} and no scheduler for it before it boots "
                               "(`async with Kernel(...)`), nor after, unless it is configured")
        return core

    def of(self, proc: Process | None) -> Core:
        """The engine ``proc`` was routed to at spawn (the default one for None)."""
        return self.core(proc.engine if proc is not None else DEFAULT)

    def engine(self, name: str = DEFAULT) -> Engine:
        """Engine ``name``; before boot, only one that was handed in."""
        core = self._cores.get(name)
        if core is not None:
            return core.engine
        given = self._given.get(name)
        if given is None:
            raise RuntimeError("the kernel has no engine before it boots (`async with Kernel(...)`)")
        return given

    def replace(self, name: str, engine: Engine) -> None:
        """Put ``engine`` in place of engine ``name`` (a proxy of it: kernel/reliability/faults.py)."""
        self.core(name).engine = engine

    # -- routing ---------------------------------------------------------------------------------
    def route(self, manifest: Manifest, asked: str | None = None) -> str:
        """The engine a new process of ``manifest``'s app runs on: the one ``asked`` for (``--engine``),
        else the person's ``[apps]`` mapping, else the manifest's ``model``, else the engine with the
        smallest context window of at least the manifest's ``min_context`` (ties by name), else
        ``default``.  An engine name that is not configured, or a context no engine gives, is an error."""
        app = manifest.name
        if asked:
            return self._known(asked, f"--engine {asked}")
        mapped = self.config.app_engines.get(app)
        if mapped:
            return self._known(mapped, f"[apps] {app} = {mapped!r}")
        if manifest.model:
            return self._known(manifest.model, f"app {app!r} (manifest key 'model')")
        if manifest.min_context:
            need = manifest.min_context
            fits = sorted((c.share, c.name) for c in self._cores.values() if c.share >= need)
            if not fits:
                have = ", ".join(f"{c.name}: {c.share}" for c in self._cores.values())
                raise Unavailable(f"app {app!r} needs a context of {need} tokens (manifest key 'min_context') and "
                                  f"no engine gives a process that many ({have}); add one in [engines] of "
                                  "llmos.toml or map the app in [apps]")
            return fits[0][1]
        return DEFAULT

    def _known(self, name: str, where: str) -> str:
        if name not in self.specs:
            raise InvalidArgument(f"{where}: this kernel has no engine {name!r} (engines: {', '.join(self.names)})")
        return name

    # -- scheduling across engines ---------------------------------------------------------------
    @contextlib.contextmanager
    def lend(self, waiter: Process, children: list[Process]) -> Iterator[None]:
        """Priority inheritance across engines: each child, on whichever engine, runs with the waiter's
        effective priority (as its own scheduler knows it) while the waiter waits for it."""
        prio = self.of(waiter).sched.priority(waiter)
        with contextlib.ExitStack() as stack:
            for child in children:
                stack.enter_context(self.of(child).sched.lend(waiter, [child], prio=prio))
            yield

    def wake(self) -> None:
        for core in self._cores.values():
            core.sched.wake()

    def forget(self, proc: Process, *, kv: bool) -> None:
        """Drop what ``proc``'s engine and scheduler keep about it; with ``kv``, its kept KV too."""
        core = self._cores.get(proc.engine)
        if core is None:
            return
        core.sched.forget(proc.pid)
        if kv:
            core.engine.kv_forget(str(proc.pid))  # the KV kept for it is an ordinary prefix cache now

    # -- lifetime --------------------------------------------------------------------------------
    async def start(self) -> None:
        """Open and start every engine, then give each its scheduler.  One that cannot start stops the
        boot with its name (the ones already started are closed again)."""
        from drivers.llm.factory import open_engine
        cfg, started = self.config, []
        try:
            for name, (spec, n_slots, n_ctx) in self.specs.items():
                try:
                    given = self._given.get(name)
                    engine = given if given is not None else open_engine(
                        spec, n_slots=n_slots, n_ctx=n_ctx, timeout=cfg.engine_timeout,
                        connect_timeout=cfg.engine_connect_timeout, retry_s=cfg.engine_retry_s)
                    await engine.start()
                except EngineError as exc:
                    if name == DEFAULT and len(self.specs) == 1:
                        raise
                    raise EngineError(f"engine {name!r} ({spec or 'embedded'}): {exc}", code=exc.code,
                                      retryable=exc.retryable) from None
                started.append(engine)
                self._cores[name] = Core(name, spec, engine)
        except BaseException:
            self._cores.clear()
            with anyio.CancelScope(shield=True):
                for engine in started:
                    with contextlib.suppress(Exception):
                        await engine.close()
            raise
        for core in self._cores.values():
            core._sched = Scheduler(core.engine.n_slots, cfg.policy, cfg.quantum, age_s=cfg.scheduler_age_s,
                                    max_bypass=cfg.scheduler_max_bypass)

    async def close(self) -> None:
        """Close every engine, each even when another's close fails."""
        with anyio.CancelScope(shield=True):
            for core in self._cores.values():
                with contextlib.suppress(Exception):
                    await core.engine.close()
