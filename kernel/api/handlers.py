"""What each kernel API request does to the kernel; one function per request type."""
from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import msgspec

from kernel.api import execapi, memapi
from kernel.api import messages as m
from kernel.events import Event
from kernel.rules.approvals import Approval, ApprovalBook
from kernel.rules.review import is_bulk
from kernel.syscall import transfer
from syscalls.errors import NotFound, SyscallError

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.syscall.person import PersonDesk, Question


class ApiError(Exception):
    """An error the client caused; sent back as an ``Error`` reply with ``code``."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def approval_book(kernel: Kernel) -> ApprovalBook | None:
    """The rules gate's book of pending approvals (None in a kernel booted without rules)."""
    return kernel.rules.book if kernel.rules is not None else None


def stats(kernel: Kernel) -> m.KernelStats:
    procs = kernel.ptable.all()
    by_state: dict[str, int] = {}
    for p in procs:
        by_state[p.state.value] = by_state.get(p.state.value, 0) + 1
    now = time.monotonic()
    engines = [m.EngineStat(name=c.name, model=c.engine.name, slots_busy=c.sched.busy, slots_total=c.sched.n_slots,
                            queued=c.sched.queued, context=c.share) for c in kernel.engines]
    sched = kernel.sched
    return m.KernelStats(
        pid=os.getpid(), home=str(kernel.home), model=kernel.engine.name,
        policy=kernel.config.policy, started=kernel.started, uptime=round(time.time() - kernel.started, 1),
        slots_busy=sched.busy, slots_total=sched.n_slots, queued=sched.queued, tokens_out=kernel.tokens_out,
        tokens_per_second=round(sum(p.tokens_per_second(now) for p in procs if p.alive), 2),
        procs=len(procs), by_state=by_state, engines=engines)


async def status(kernel: Kernel, req: m.Status) -> m.KernelStats:
    return stats(kernel)


async def spawn(kernel: Kernel, req: m.Spawn) -> int:
    budgets = {k: int(v) if float(v).is_integer() else v for k, v in req.budgets.items()}  # JSON has one number type
    return await kernel.spawn(req.app, req.task, priority=req.priority, budgets=budgets or None,
                              files=dict(req.files) or None, engine=req.engine or None, user=req.user)


async def kill(kernel: Kernel, req: m.Kill) -> None:
    if kernel.ptable.get(req.pid) is not None and kernel.ptable.live(req.pid) is None:
        raise ApiError("not_running", f"process {req.pid} has already exited")
    kernel.signal(req.pid, req.signal)


async def wait(kernel: Kernel, req: m.Wait) -> m.ProcInfo:
    try:
        proc = await kernel.wait(req.pid, req.timeout)
    except TimeoutError:
        raise ApiError("timeout", f"process {req.pid} still running after {req.timeout}s") from None
    return kernel.info(proc)


def row(kernel: Kernel, p: Any, now: float) -> m.ProcRow:
    return m.ProcRow(**msgspec.structs.asdict(kernel.info(p)), tokens_per_second=round(p.tokens_per_second(now), 2),
                     ended=p.ended)


async def ps(kernel: Kernel, req: m.Ps) -> list[m.ProcRow]:
    procs = kernel.ptable.all()
    if req.all:
        procs = list(kernel.ptable.reaped.values()) + procs
    now = time.monotonic()
    return [row(kernel, p, now) for p in sorted(procs, key=lambda p: p.pid)]


async def logs(kernel: Kernel, req: m.Logs) -> list[Event]:
    if kernel.ptable.get(req.pid) is None:
        raise NotFound(f"no process {req.pid}")
    return kernel.events.for_pid(req.pid)


async def apps(kernel: Kernel, req: m.Apps) -> list[m.AppInfo]:
    return [m.AppInfo(name=a.name, version=a.version, description=a.description)
            for a in sorted(kernel.registry.all().values(), key=lambda a: a.name)]


async def approvals(kernel: Kernel, req: m.Approvals) -> list[m.ApprovalInfo]:
    book = approval_book(kernel)
    pending = [] if book is None else [a for a in book.pending() if not req.approval or a.id == req.approval]
    questions = [q for q in _questions(kernel) if not req.approval or q.id == req.approval]
    if req.approval and not pending and not questions:
        raise ApiError("not_found", f"no pending approval {req.approval!r}")
    return [approval_info(a, full=req.full) for a in pending] + questions


def _questions(kernel: Kernel) -> list[m.ApprovalInfo]:
    """Questions waiting for a person (kernel/syscall/person.py), listed with the approvals."""
    if kernel.desk is None:
        return []
    return [m.ApprovalInfo(id=q.id, pid=q.pid, call=f"user.{q.kind}", reason=q.text, app=q.app,
                           args={"question": q.text}, expires=q.expires, kind=q.kind)
            for q in kernel.desk.pending()]


PREVIEW_CHARS = 4096  # of a payload argument in a listing; `llmos approvals show ID` gets it all


def approval_info(a: Approval, *, full: bool = False) -> m.ApprovalInfo:
    """One pending approval as the API sends it: targets whole, payloads shortened unless ``full``."""
    leaves, cut = dict(a.leaves), {}
    bulk = [name for name in leaves if is_bulk(name)]
    if not full:
        for name in bulk:
            if len(leaves[name]) > PREVIEW_CHARS:
                cut[name] = len(leaves[name]) - PREVIEW_CHARS
                leaves[name] = leaves[name][:PREVIEW_CHARS]
    return m.ApprovalInfo(id=a.id, pid=a.pid, call=a.name, reason=a.reason, app=a.app, args=dict(a.args_summary),
                          expires=a.expires, leaves=leaves, cut=cut, bulk=bulk, untrusted=list(a.untrusted),
                          digest=a.call_hash)


async def approve(kernel: Kernel, req: m.Approve) -> None:
    if _question(kernel, req.approval) is not None:  # approving a confirmation answers it yes
        _desk(kernel).answer(req.approval, "yes")
        return
    _decide(kernel, req.approval, lambda book: book.approve(req.approval))


async def deny(kernel: Kernel, req: m.Deny) -> None:
    if _question(kernel, req.approval) is not None:
        _desk(kernel).decline(req.approval, req.reason)
        return
    _decide(kernel, req.approval, lambda book: book.deny(req.approval, req.reason))


async def answer(kernel: Kernel, req: m.Answer) -> None:
    if _question(kernel, req.question) is None:
        raise ApiError("not_found", f"no question {req.question!r} is waiting for an answer")
    _desk(kernel).answer(req.question, req.text)


def _question(kernel: Kernel, qid: str) -> Question | None:
    return kernel.desk.get(qid) if kernel.desk is not None else None


def _desk(kernel: Kernel) -> PersonDesk:
    if kernel.desk is None:  # only reached after _question found the question on the desk
        raise ApiError("not_found", "this kernel has no person's desk")
    return kernel.desk


def _decide(kernel: Kernel, approval: str, act: Callable[[Any], Any]) -> None:
    book = approval_book(kernel)
    if book is None:
        raise ApiError("not_found", f"no pending approval {approval!r} (this kernel has no approvals)")
    try:
        act(book)
    except KeyError:
        raise ApiError("not_found", f"no pending approval {approval!r}") from None


async def halt(kernel: Kernel, req: m.Halt) -> int:
    return await kernel.halt()


async def copy_in(kernel: Kernel, req: m.CopyIn) -> int:
    p = kernel.ptable.get(req.pid)
    if p is None:
        raise NotFound(f"no process {req.pid}")
    if kernel.ptable.live(req.pid) is None:
        raise ApiError("not_running", f"process {req.pid} has already exited; copy files into a running one")
    return transfer.put(p.workspace, p.app, p.permissions, req.path, req.data)


async def copy_out(kernel: Kernel, req: m.CopyOut) -> bytes:
    p = kernel.ptable.get(req.pid)
    if p is None:
        raise NotFound(f"no process {req.pid} (`llmos ps -a` lists the ones this kernel knows)")
    return transfer.get(p.workspace, p.app, p.permissions, req.path)


HANDLERS: dict[type[msgspec.Struct], Callable[[Any, Any], Awaitable[Any]]] = {
    m.Status: status, m.Spawn: spawn, m.Kill: kill, m.Wait: wait, m.Ps: ps, m.Logs: logs, m.Apps: apps,
    m.Approvals: approvals, m.Approve: approve, m.Deny: deny, m.Answer: answer, m.Halt: halt,
    m.CopyIn: copy_in, m.CopyOut: copy_out,
}
HANDLERS.update(memapi.HANDLERS)  # llmos mem store/search/list/forget
HANDLERS.update(execapi.HANDLERS)  # llmos exec, and API keys


def error_of(exc: BaseException) -> tuple[str, str]:
    """(code, message) for an exception raised while handling a request."""
    if isinstance(exc, ApiError):
        return exc.code, str(exc)
    if isinstance(exc, SyscallError):
        return exc.code or "error", exc.message
    if isinstance(exc, ValueError):
        return "invalid", str(exc)
    return "internal", f"{type(exc).__name__}: {exc}"
