"""KernelMemory: the memory manager as the kernel holds it (``k.memory``): one store, one context per process."""
from __future__ import annotations

import collections
import getpass
import os
import uuid
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import anyio

from drivers.llm import Engine, Message
from kernel.memory import MemoryRegistry, ProcessMemory
from kernel.memory.admin import MemoryAdmin
from kernel.memory.config import MemoryConfig
from kernel.memory.lazy import LazyStore, kernel_store
from kernel.proc.wedge import run_abandonable
from kernel.syscall.perm import memory_layers

CLOSE_TIMEOUT = 10.0  # seconds a shutdown waits for the vector store to close

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.proc.process import Process


def stable_id(path: Path) -> str:
    """This llmos home's kernel id: made once, kept across restarts (it names ``proc:<id>:<pid>``)."""
    try:
        text = path.read_text().strip()
        if text:
            return text
    except OSError:
        pass
    kid = "k" + uuid.uuid4().hex[:8]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(kid + "\n")
    return kid


def template_cost(engine: Any) -> tuple[int, int]:
    """(tokens the chat template adds per message, tokens it adds once per prompt), measured."""
    one = len(engine.apply_template([Message("system", "a")]))
    two = len(engine.apply_template([Message("system", "a"), Message("user", "b")]))
    per = max(0, two - one - engine.count_tokens("b"))
    return per, max(0, one - engine.count_tokens("a") - per)


class KernelMemory:
    """Opens a context for each process on spawn (its share of ``n_ctx``, counted by the
    engine's tokenizer), releases it on exit, and runs every store-touching call in a
    worker thread.  Memory events are queued by whatever thread raised them and emitted
    on the event loop (``flush``), where they also update the process's CTX columns."""

    def __init__(self, k: "Kernel", cfg: MemoryConfig | None = None, *, store: Any = None):
        self.k = k
        self.cfg = cfg or MemoryConfig()
        self.store = store if store is not None else kernel_store(self.cfg.store, k.home, self.cfg.store_timeout)
        self.kernel_id = stable_id(k.home / "state" / "kernel_id")
        self.user = self.cfg.user or os.environ.get("LLMOS_USER") or _login()
        self._events: collections.deque[tuple[str, dict[str, Any]]] = collections.deque()
        self.service = MemoryRegistry(self.store, kernel_id=self.kernel_id, on_event=self._queue)
        self.admin = MemoryAdmin(self.store, default_user=self.user)
        self._costs: dict[str, tuple[int, int]] = {}  # engine name -> template_cost of that engine
        self._keep: set[int] = set()

    # -- threads and events ----------------------------------------------------------------------
    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` in a worker thread; its memory events are emitted afterwards."""
        try:
            # abandonable: a store wedged by a full disk must not hold the syscall past its timeout,
            # nor, left behind on a daemon thread, the process at exit
            return await run_abandonable(partial(fn, *args, **kwargs), name="llmos-memory")
        finally:
            self.flush()

    def _queue(self, kind: str, **fields: Any) -> None:
        self._events.append((kind, fields))  # deque.append is thread-safe

    def flush(self) -> None:
        touched = set()
        while self._events:
            kind, fields = self._events.popleft()
            pid = int(fields.pop("pid", 0) or 0)
            self.k.events.emit(kind, pid, **fields)
            touched.add(pid)
        for pid in touched:
            self.sync(pid)

    def sync(self, pid: int) -> None:
        """top's CTX column: the tokens the process's pages use, of its budget."""
        proc, pm = self.k.ptable.get(pid), self.service.get(pid)
        if proc is not None and pm is not None:
            proc.ctx_used, proc.ctx_limit = pm.context.used, pm.context.limit

    # -- per process -------------------------------------------------------------------------------
    def get(self, pid: int) -> ProcessMemory | None:
        return self.service.get(pid)

    def share(self, proc: "Process | None") -> int:
        """The tokens one sequence of the process's engine holds: prompt plus reply (None: the default's)."""
        return self.k.engines.of(proc).share

    def engine_of(self, pid: int) -> Engine:
        """The engine whose tokenizer and template count process ``pid``'s pages."""
        return self.k.engines.of(self.k.ptable.get(pid)).engine

    def costs(self, proc: "Process | None") -> tuple[int, int]:
        """``template_cost`` of the process's engine, measured once per engine."""
        core = self.k.engines.of(proc)
        if core.name not in self._costs:
            self._costs[core.name] = template_cost(core.engine)
        return self._costs[core.name]

    async def on_spawn(self, proc: "Process", manifest: Any) -> None:
        if self.service.get(proc.pid) is not None:  # restored from a journal before it was re-spawned
            self.sync(proc.pid)
            return
        share, (per_message, fixed) = self.share(proc), self.costs(proc)
        reserve = manifest.agent.max_tokens_per_step if manifest.is_prompt else self.cfg.reply_reserve
        reserve = min(reserve, share // 4)  # a small context still keeps most of itself for pages
        limit = max(16, share - reserve - fixed)
        grants, above = memory_layers(proc)
        self.service.open(proc.pid, app=proc.app, user=proc.user or self.user, limit=limit,
                          count_tokens=self.k.engines.of(proc).engine.count_tokens,
                          grants=grants, policy=self.cfg.policy, page_overhead=per_message, above=above)
        self.sync(proc.pid)

    async def on_exit(self, proc: "Process") -> None:
        pm = self.service.get(proc.pid)
        if pm is None:
            return
        keep = proc.pid in self._keep
        if self.store.opened if isinstance(self.store, LazyStore) else True:
            await self.run(self.service.release, proc.pid, keep=keep)
        else:  # nothing of it can be on disk: the store was never opened
            self.service.release(proc.pid, keep=True)

    # -- swap: what the journal keeps of a STOPped process ----------------------------------------
    def save(self, pid: int, *, keep: bool = True) -> bytes:
        """The process's context as bytes (its pages; evicted ones are already on disk).
        With ``keep``, its collection outlives the process's end in this kernel, so a
        later kernel can ``restore`` it."""
        pm = self.service.get(pid)
        if pm is None:
            raise KeyError(f"no memory for pid {pid}")
        if keep:
            self._keep.add(pid)
        return pm.to_bytes()

    async def restore(self, pid: int, data: bytes, *, app: str, grants: Iterable[str] | None = None,
                      user: str | None = None, engine: str = "default") -> ProcessMemory:
        """Bring back a context ``save`` made (in this kernel or an earlier one on the same home); its
        pages are counted by ``engine``, the one the process will run on."""
        pm = self.service.resume(pid, data, app=app, user=user or self.user,
                                 count_tokens=self.k.engines.core(engine).engine.count_tokens, grants=grants)
        self.sync(pid)
        return pm

    async def reap(self, live_pids: Iterable[int]) -> list[str]:
        """After a restart: drop the process collections of pids that will not be resumed."""
        reaped: list[str] = await self.run(self.service.reap, list(live_pids))
        return reaped

    # -- lifetime ----------------------------------------------------------------------------------
    async def preload(self) -> None:
        """Open the store and load the embedding model in a worker thread, off the boot path."""
        try:
            await anyio.to_thread.run_sync(self._warm)
        except Exception as exc:  # the first call that needs the store reports it again, typed
            self.k.events.emit("mem.store", ok=False, error=f"{type(exc).__name__}: {exc}")
        else:
            self.k.events.emit("mem.store", ok=True, path=str(self.store.path))

    def _warm(self) -> None:
        store = self.store.open() if isinstance(self.store, LazyStore) else self.store
        store.warm()

    async def close(self) -> None:
        """Close the store (at shutdown, while the kernel's task group is being cancelled: shielded).
        One wedged inside chromadb (after a full disk) holds its lock for good: after ``CLOSE_TIMEOUT``
        its worker thread is left behind so the kernel can still shut down."""
        with anyio.CancelScope(shield=True), anyio.move_on_after(CLOSE_TIMEOUT) as scope:
            await run_abandonable(self.store.close, name="llmos-memory-close")
        if scope.cancelled_caught:
            self.k.events.emit("mem.store", ok=False, error=f"closing the store took over {CLOSE_TIMEOUT} s; left behind")


def _login() -> str:
    try:
        return getpass.getuser() or "user"
    except Exception:
        return "user"
