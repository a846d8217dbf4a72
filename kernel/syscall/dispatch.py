"""Syscall dispatch (xv6's syscall.c): validate, check permissions and rules, call the handler, log."""
from __future__ import annotations

import time
import traceback
from typing import TYPE_CHECKING, Any, Awaitable, Callable

import anyio
import msgspec

from drivers.errors import DriverError
from kernel.browser import sysbrowser
from kernel.errors import ProcessExit, from_driver
from kernel.memory import sysmem
from kernel.proc import sysproc
from kernel.proc.process import Process, State
from kernel.sched import deadline, kvfollow, sysllm, sysscore
from kernel.syscall import retry, sysfile, systool, sysuser
from kernel.syscall.perm import refusal, syscall_granted
from syscalls import Reply, Request
from syscalls.errors import InvalidArgument, PermissionDenied, SyscallError, Terminated, Timeout
from syscalls.table import TABLE, decode_request, encode, name_of

if TYPE_CHECKING:
    from kernel.kernel import Kernel

# Each handler takes its own request type (sysllm.chat a llm.Chat ...); the request reaches it only
# after ``validate`` decoded it under the name that picks the handler, so ``Any`` here is that type.
Handler = Callable[["Kernel", Process, Any], Awaitable[Reply]]

# The static table: syscall name -> handler.  Families not listed answer "unavailable".
HANDLERS: dict[str, Handler] = {
    "llm.chat": sysllm.chat, "llm.complete": sysllm.complete, "llm.json": sysllm.json_, "llm.embed": sysllm.embed,
    "llm.score": sysscore.score,
    "fs.read": sysfile.read, "fs.write": sysfile.write, "fs.list": sysfile.list_, "fs.stat": sysfile.stat,
    "fs.delete": sysfile.delete,
    "proc.spawn": sysproc.spawn, "proc.wait": sysproc.wait, "proc.kill": sysproc.kill, "proc.ps": sysproc.ps,
    "proc.exit": sysproc.exit_, "proc.send": sysproc.send, "proc.recv": sysproc.recv,
    "tool.list": systool.list_, "tool.call": systool.call,
    "mem.store": sysmem.store, "mem.recall": sysmem.recall, "mem.forget": sysmem.forget, "mem.pin": sysmem.pin,
    "mem.add": sysmem.add, "mem.learn": sysmem.learn,
    "user.ask": sysuser.ask, "user.confirm": sysuser.confirm, "user.notify": sysuser.notify,
    **sysbrowser.HANDLERS,
}
NO_TIMEOUT = {"proc.wait", "proc.recv", "user.ask", "user.confirm"}  # they carry their own


def validate(req: Request | bytes | str) -> Request:
    """Re-decode a request so every bound in its schema is enforced, whatever its source."""
    try:
        data = req if isinstance(req, (bytes, str)) else encode(req)
        return decode_request(data)
    except msgspec.ValidationError as exc:
        raise InvalidArgument(f"bad syscall: {exc}") from None
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:  # bytes no peer should make kill nothing
        raise InvalidArgument(f"malformed syscall message: {type(exc).__name__}: {exc}"[:500]) from None


def check_permission(proc: Process, name: str) -> None:
    if not syscall_granted(proc, name):
        raise PermissionDenied(refusal(proc, "syscalls", name, f"syscall '{name}'"))


def summarize(req: Request, limit: int = 200) -> str:
    text = encode(req).decode(errors="replace")
    return text if len(text) <= limit else text[:limit] + "…"


async def dispatch(k: "Kernel", proc: Process, raw: Request | bytes | str) -> Reply:
    """Run one syscall for ``proc``.  Returns a typed reply or raises a ``SyscallError``."""
    t0 = time.perf_counter()
    name = "?"
    outer = proc.current  # a tool may make syscalls of its own inside a tool.call (remember -> mem.store)
    try:
        req = validate(raw)
        name = name_of(req)
        if name not in TABLE:
            raise InvalidArgument(f"unknown syscall {name!r}")
        proc.usage.syscalls += 1
        await k.syscall_entry(proc)
        if proc.term_requested:
            proc.term_requested = False
            raise Terminated("TERM received: clean up and exit")
        check_permission(proc, name)
        for ins in k.instruments:  # the watchdog: a call repeated again and again is refused
            await ins.syscall_before(proc, name, req)
        await k.check_rules(proc, name, req)
        handler = HANDLERS.get(name)
        if handler is None:
            raise SyscallError(f"'{name}' is not available in this kernel yet", code="unavailable")
        proc.current = name
        if proc.state in (State.NEW, State.READY, State.RUNNING):
            proc.set_state(State.WAITING)
        with k.syscall_scope(proc), kvfollow.paused(k, proc, name, req, nested=bool(outer)):
            if name in NO_TIMEOUT:
                reply = await handler(k, proc, req)
            else:
                with deadline.limit(proc, k.config.syscall_timeout):  # time queued for a slot is not counted
                    reply = await retry.call(k, name, handler, proc, req)
        for ins in k.instruments:
            ins.syscall_after(proc, name, reply)
        k.events.emit("syscall", proc.pid, call=name, ok=True, args=summarize(req),
                      ms=round((time.perf_counter() - t0) * 1000, 3))
        if k.rules is not None:  # the rules note untrusted text the reply brings in
            k.rules.observe(proc, name, reply)
        return reply
    except SyscallError as exc:
        k.events.emit("syscall", proc.pid, call=name, ok=False, error=exc.code, message=exc.message[:300])
        raise
    except DriverError as exc:
        err = from_driver(exc)
        k.events.emit("syscall", proc.pid, call=name, ok=False, error=err.code, message=err.message[:300])
        raise err from None
    except TimeoutError:
        k.events.emit("syscall", proc.pid, call=name, ok=False, error="timeout")
        raise Timeout(f"{name} did not finish within {k.config.syscall_timeout:g} s", retryable=True) from None
    except (ProcessExit, anyio.get_cancelled_exc_class()):
        raise
    except Exception as exc:  # a bug in a handler: log it for us, never show the process a traceback
        k.events.emit("syscall.crash", proc.pid, call=name, error=f"{type(exc).__name__}: {exc}",
                      trace=traceback.format_exc(limit=8))
        raise SyscallError(f"internal error in {name}: {type(exc).__name__}", code="internal") from None
    finally:
        proc.current = outer
