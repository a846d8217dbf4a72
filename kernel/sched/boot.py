"""Boot step ``perf``: KV swap files under the llmos home, a folder per engine."""
from __future__ import annotations

import contextlib
import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernel.kernel import Kernel


async def attach(k: Kernel, stack: contextlib.AsyncExitStack) -> None:
    """Cheap: sets a directory; the swap files appear only when memory for saved KV runs short."""
    swap = k.home / "swap"
    shutil.rmtree(swap, ignore_errors=True)  # states of a previous boot belong to sequences that are gone
    for core in k.engines:
        core.engine.set_swap_dir(str(swap / core.name))
    stack.callback(shutil.rmtree, swap, True)
