"""The ``mem`` syscalls: a process's context (add, pin) and the collections it is granted (store, recall, forget)."""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Iterator

from syscalls import Empty, mem
from syscalls.errors import InvalidArgument, NotFound, PermissionDenied, SyscallError, Unavailable

from .memory import ContextFull, MemoryDenied, Page, ProcessMemory
from .proc import Process

if TYPE_CHECKING:
    from .kernel import Kernel
    from .memkernel import KernelMemory


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


async def _call(k: "Kernel", proc: Process, method: str, *args: Any, **kwargs: Any) -> Any:
    mm, pm = memory_of(k, proc)
    with typed_errors():
        return await mm.run(getattr(pm, method), *args, **kwargs)


async def store(k: "Kernel", proc: Process, req: mem.Store) -> mem.Stored:
    if req.kind == "preference" and req.collection is None:  # the person's preference: their collection
        mid, name = await _call(k, proc, "remember_preference", req.text)
    else:
        mid, name = await _call(k, proc, "mem_store", req.text, req.kind, req.collection)
    return mem.Stored(id=mid, collection=name)


async def recall(k: "Kernel", proc: Process, req: mem.Recall) -> mem.Recalled:
    hits = await _call(k, proc, "mem_recall", req.query, req.k, req.collection)
    return mem.Recalled(memories=[mem.Memory(id=h.id, text=h.text, kind=str(h.metadata.get("kind", "")),
                                             collection=h.collection, score=round(h.score, 4)) for h in hits])


async def forget(k: "Kernel", proc: Process, req: mem.Forget) -> Empty:
    if not await _call(k, proc, "mem_forget", req.id, req.collection):
        raise NotFound(f"no memory {req.id!r} in the collections pid {proc.pid} may see")
    return Empty()


async def pin(k: "Kernel", proc: Process, req: mem.Pin) -> Empty:
    await _call(k, proc, "mem_pin", text=req.text)
    return Empty()


async def add(k: "Kernel", proc: Process, req: mem.Add) -> mem.Added:
    page = Page(text=req.text, kind=req.kind, role=req.role, untrusted=req.untrusted, source=req.source,
                importance=req.importance)
    added = await _call(k, proc, "add", page)
    ctx = memory_of(k, proc)[1].context
    return mem.Added(page=added.id, tokens=added.tokens, used=ctx.used, limit=ctx.limit,
                     evicted=ctx.stats()["evicted_pages"])


async def learn(k: "Kernel", proc: Process, req: mem.Learn) -> mem.Stored:
    if req.chosen.strip().lower() not in {o.strip().lower() for o in req.options}:
        raise InvalidArgument(f"chosen {req.chosen!r} is not one of the options offered")
    mid, name = await _call(k, proc, "learn_choice", req.options, req.chosen, req.evidence, collection=req.collection)
    return mem.Stored(id=mid, collection=name)
