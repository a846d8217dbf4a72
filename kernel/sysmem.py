"""The ``mem`` syscalls: long-term memory through the kernel's memory service."""
from __future__ import annotations

from typing import TYPE_CHECKING

from syscalls import Empty, mem
from syscalls.errors import Unavailable

from .proc import Process

if TYPE_CHECKING:
    from .kernel import Kernel


def _service(k: "Kernel"):
    if k.memory is None:
        raise Unavailable("no memory service is configured in this kernel")
    return k.memory


async def store(k: "Kernel", proc: Process, req: mem.Store) -> mem.Stored:
    return await _service(k).store(proc, req)


async def recall(k: "Kernel", proc: Process, req: mem.Recall) -> mem.Recalled:
    return await _service(k).recall(proc, req)


async def forget(k: "Kernel", proc: Process, req: mem.Forget) -> Empty:
    await _service(k).forget(proc, req)
    return Empty()


async def pin(k: "Kernel", proc: Process, req: mem.Pin) -> Empty:
    await _service(k).pin(proc, req)
    return Empty()
