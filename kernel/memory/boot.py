"""Boot step "memory": the kernel's memory manager (context as RAM, the vector store as disk) and its hooks."""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from kernel.memory.kernelmem import KernelMemory
from kernel.memory.tools import Remember

if TYPE_CHECKING:
    from kernel.kernel import Kernel


async def attach(k: "Kernel", stack: contextlib.AsyncExitStack) -> None:
    """Cheap: chromadb and the embedding model open in a worker thread (``preload``) or on first use."""
    mm = KernelMemory(k, k.config.memory)
    k.memory = mm
    k.tools.setdefault(Remember.name, Remember(k))
    k.hooks.spawn.append(mm.on_spawn)
    k.hooks.exit.append(mm.on_exit)
    stack.push_async_callback(mm.close)
    if k.config.memory.preload:
        k.tg.start_soon(mm.preload)
