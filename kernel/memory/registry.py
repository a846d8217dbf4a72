"""MemoryRegistry: every process's memory, by pid (open, resume, release); KernelMemory (kernelmem.py) is the manager that uses it."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterable

from kernel.memory.context import Context, CountTokens
from kernel.memory.grants import Grants, proc_collection
from kernel.memory.policy import Policy
from kernel.memory.process import ProcessMemory
from kernel.memory.swap import Swap

OnEvent = Callable[..., None]


class MemoryRegistry:
    """One per kernel.  ``store`` is the kernel's single ``VectorStore`` (or a
    ``MemoryVectorStore`` in tests); ``kernel_id`` names this kernel's process
    collections (``proc:<kernel_id>:<pid>``), so it must stay the same across
    restarts for resumed processes to find what they paged out.  ``on_event(kind,
    pid=..., **fields)`` receives every memory event, tagged with the pid."""

    def __init__(self, store: Any, *, kernel_id: str = "k0", on_event: OnEvent | None = None,
                 clock: Callable[[], float] = time.time):
        self.store = store
        self.kernel_id = kernel_id
        self._on_event = on_event or (lambda kind, **f: None)
        self.clock = clock
        self._lock = threading.Lock()
        self._procs: dict[int, ProcessMemory] = {}

    def proc_collection(self, pid: int) -> str:
        return proc_collection(self.kernel_id, pid)

    def open(self, pid: int, *, app: str, user: str, limit: int, count_tokens: CountTokens,
             grants: Iterable[str] | None = None, policy: str | Policy = "oldest", page_overhead: int = 0,
             system: str | None = None, above: Iterable[tuple[str, Iterable[str]]] = ()) -> ProcessMemory:
        """A new process's memory: an empty context of ``limit`` tokens (its share of
        ``n_ctx``), swapping to its own collection, seeing only ``grants`` (the app's
        memory globs; None means ``app:{app}`` and ``user:{user}``), and only what every set in
        ``above`` (its ancestors' grants, as (app, globs)) allows as well."""
        events = self._events(pid)
        swap = Swap(self.store, self.proc_collection(pid), {"pid": pid, "app": app, "user": user}, self.clock)
        ctx = Context(limit, count_tokens, swap=swap, policy=policy, on_event=events,
                      page_overhead=page_overhead)
        if system is not None:
            ctx.set_system(system)
        return self._register(pid, ctx, app, user, grants, above)

    def resume(self, pid: int, data: bytes, *, app: str, user: str, count_tokens: CountTokens,
               grants: Iterable[str] | None = None) -> ProcessMemory:
        """A STOPped (or journaled) process's memory back from ``to_bytes``: its pages
        as they were; what it had paged out is still in its collection on disk."""
        swap = Swap(self.store, self.proc_collection(pid), {"pid": pid, "app": app, "user": user}, self.clock)
        ctx = Context.from_bytes(data, count_tokens, swap=swap, on_event=self._events(pid))
        return self._register(pid, ctx, app, user, grants)

    def get(self, pid: int) -> ProcessMemory | None:
        with self._lock:
            return self._procs.get(pid)

    def release(self, pid: int, *, keep: bool = False) -> None:
        """The process is gone: forget its context and, unless ``keep``, drop its
        collection (long-term collections are untouched)."""
        with self._lock:
            self._procs.pop(pid, None)
        if not keep:
            self.store.drop(self.proc_collection(pid))
            self._on_event("mem.release", pid=pid, collection=self.proc_collection(pid))

    def reap(self, live_pids: Iterable[int]) -> list[str]:
        """After a restart: drop this kernel's process collections whose pid is not
        in ``live_pids`` (journaled processes that will be resumed stay)."""
        live = {self.proc_collection(p) for p in live_pids}
        prefix = f"proc:{self.kernel_id}:"
        dropped = [n for n in self.store.list_collections() if n.startswith(prefix) and n not in live]
        for name in dropped:
            self.store.drop(name)
        return dropped

    def _register(self, pid: int, ctx: Context, app: str, user: str, grants: Iterable[str] | None,
                  above: Iterable[tuple[str, Iterable[str]]] = ()) -> ProcessMemory:
        g = Grants(grants, app=app, user=user, own=self.proc_collection(pid), above=above)
        pm = ProcessMemory(self.store, ctx, g, pid=pid, app=app, user=user, on_event=self._events(pid),
                           clock=self.clock)
        with self._lock:
            self._procs[pid] = pm
        return pm

    def _events(self, pid: int) -> OnEvent:
        def emit(kind: str, **fields: Any) -> None:
            try:
                self._on_event(kind, pid=pid, **fields)
            except Exception:  # a broken log sink must not break paging
                pass
        return emit
