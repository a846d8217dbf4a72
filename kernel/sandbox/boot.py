"""Boot step "sandbox": a lazy Docker Sandbox, the python/shell tools, app containers, and clean-up."""
from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING

import anyio

from kernel.sandbox.tools import SandboxTool
from sandbox import Sandbox, SandboxError, limits_from

if TYPE_CHECKING:
    from kernel.kernel import Kernel


async def attach(k: "Kernel", stack: contextlib.AsyncExitStack) -> None:
    """Cheap: no Docker call here.  Orphans are reaped and the pool warmed in the background;
    without an engine every sandbox call answers ``unavailable`` with what to do."""
    cfg = k.config
    sb = Sandbox(base_url=cfg.sandbox_engine or None, connect_timeout=cfg.sandbox_connect_timeout,
                 kernel_id=f"k{uuid.uuid4().hex[:12]}", pool_size=cfg.sandbox_pool,
                 idle_s=cfg.sandbox_idle_s,
                 limits=limits_from(cfg.sandbox_limits or None))  # llmos.toml [sandbox], within system maxima
    k.sandbox = sb
    for kind in ("python", "shell"):
        k.tools.setdefault(kind, SandboxTool(k, kind))
    stack.push_async_callback(_close, k, sb)  # runs after every process has ended
    k.tg.start_soon(_warm, k, sb)


async def _warm(k: "Kernel", sb: Sandbox) -> None:
    try:
        reaped = await sb.reap_orphans()  # connects, checks the image, starts the pool thread
    except SandboxError as exc:
        k.events.emit("sandbox.unavailable", error=str(exc))
        return
    except anyio.get_cancelled_exc_class():
        raise
    except Exception as exc:  # never let the background start take the kernel down
        k.events.emit("sandbox.unavailable", error=f"{type(exc).__name__}: {exc}")
        return
    k.events.emit("sandbox.ready", engine=sb.url, image=sb.image, reaped=reaped, pool=sb.pool_size)


async def _close(k: "Kernel", sb: Sandbox) -> None:
    with anyio.CancelScope(shield=True):
        try:
            await sb.close()
        except Exception as exc:
            k.events.emit("sandbox.close", ok=False, error=f"{type(exc).__name__}: {exc}")
