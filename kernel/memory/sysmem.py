"""The ``mem`` syscalls: a process's context (add, pin) and the collections it is granted (store, recall, forget)."""
from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Iterator, Sequence, cast

from drivers.vectors import Hit
from kernel.memory import ContextFull, MemoryDenied, Page, PageKind, ProcessMemory
from kernel.proc.process import Process
from syscalls import Empty, mem
from syscalls.errors import InvalidArgument, NotFound, PermissionDenied, SyscallError, Unavailable

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.memory.kernelmem import KernelMemory


class ContextFullError(SyscallError):
    code = "context_full"


def memory_of(k: "Kernel", proc: Process) -> tuple["KernelMemory", ProcessMemory]:
    if k.memory is None:
        raise Unavailable("no memory manager is attached to this kernel")
    pm = k.memory.get(proc.pid)
    if pm is None:
        raise Unavailable(f"pid {proc.pid} has no memory (it was spawned before the memory manager started)")
    return k.memory, pm


@contextlib.contextmanager
def typed_errors() -> Iterator[None]:
    """The memory manager's exceptions as the syscall errors a process understands."""
    try:
        yield
    except MemoryDenied as exc:
        raise PermissionDenied(str(exc)) from None
    except ContextFull as exc:
        raise ContextFullError(str(exc)) from None
    except ValueError as exc:
        raise InvalidArgument(str(exc)) from None


async def _call(k: "Kernel", proc: Process, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``method(pm, ...)`` (a ``ProcessMemory`` method) on this process's memory, in the manager's thread."""
    mm, pm = memory_of(k, proc)
    with typed_errors():
        return await mm.run(partial(method, pm), *args, **kwargs)


def tainted(k: "Kernel", proc: Process, text: str) -> bool:
    """The text repeats untrusted text the process saw recently (needs the rules' taint tracker)."""
    return bool(k.rules is not None and k.rules.taint.tainted(proc.pid, {"text": text}))


async def store(k: "Kernel", proc: Process, req: mem.Store) -> mem.Stored:
    # untrusted text stays untrusted on disk, so a recall cannot launder a prompt injection
    seen = not req.untrusted and tainted(k, proc, req.text)
    flags: dict[str, Any] = {"untrusted": True} if req.untrusted or seen else {}
    if flags and (req.source or seen):
        flags["source"] = req.source or "observed"
    if req.kind == "preference" and req.collection is None:  # the person's preference: their collection
        mid, name = await _call(k, proc, ProcessMemory.remember_preference, req.text, **flags)
    else:
        mid, name = await _call(k, proc, ProcessMemory.mem_store, req.text, req.kind, req.collection, **flags)
    return mem.Stored(id=mid, collection=name)


def memories(hits: Sequence[Hit]) -> list[mem.Memory]:
    """Hits as the process sees them; ``untrusted`` ones were stored from untrusted text."""
    return [mem.Memory(id=h.id, text=h.text, kind=str(h.metadata.get("kind", "")), collection=h.collection,
                       score=round(h.score, 4), untrusted=bool(h.metadata.get("untrusted", False)),
                       source=str(h.metadata.get("source", ""))) for h in hits]


async def recall(k: "Kernel", proc: Process, req: mem.Recall) -> mem.Recalled:
    where = {"kind": {"$in": list(req.kinds)}} if req.kinds else None
    hits = await _call(k, proc, ProcessMemory.mem_recall, req.query, req.k, req.collection, where)
    return mem.Recalled(memories=memories([h for h in hits if h.score >= req.min_score]))  # the kernel observes the untrusted ones (kernel/rules/untrusted.py)


async def forget(k: "Kernel", proc: Process, req: mem.Forget) -> Empty:
    if not await _call(k, proc, ProcessMemory.mem_forget, req.id, req.collection):
        raise NotFound(f"no memory {req.id!r} in the collections pid {proc.pid} may see")
    return Empty()


async def pin(k: "Kernel", proc: Process, req: mem.Pin) -> Empty:
    await _call(k, proc, ProcessMemory.mem_pin, text=req.text)
    return Empty()


async def add(k: "Kernel", proc: Process, req: mem.Add) -> mem.Added:
    # mem.Add's pattern admits only page kinds, so the wire has checked what the cast says
    page = Page(text=req.text, kind=cast(PageKind, req.kind), role=req.role, untrusted=req.untrusted, source=req.source,
                importance=req.importance)
    added = await _call(k, proc, ProcessMemory.add, page)
    ctx = memory_of(k, proc)[1].context
    return mem.Added(page=added.id, tokens=added.tokens, used=ctx.used, limit=ctx.limit,
                     evicted=ctx.stats()["evicted_pages"])


async def learn(k: "Kernel", proc: Process, req: mem.Learn) -> mem.Stored:
    if req.chosen.strip().lower() not in {o.strip().lower() for o in req.options}:
        raise InvalidArgument(f"chosen {req.chosen!r} is not one of the options offered")
    mid, name = await _call(k, proc, ProcessMemory.learn_choice, req.options, req.chosen, req.evidence, collection=req.collection)
    return mem.Stored(id=mid, collection=name)
